"""Contacts: the rows behind every number, searchable, narrowed by picks and downloadable."""

import streamlit as st

from dashboard import contact_widgets, notices, queries, store, widgets

f = st.session_state["filters"]
st.title("Contacts")
search = contact_widgets.contact_search()
shown = contact_widgets.contact_list()  # acquired in the range, or reachable at its end
rows = store.fetch("contact_rows", f, search.text, shown, search.stored_id)
if rows.empty:
    notices.nothing_in_range("No contacts match.", f, also="the search" if search.text else "")
    contact_widgets.picks_not_drawn()  # kept, and shown again with the contacts
    contact_widgets.in_url(search, rows)  # a copied link lists the same
    st.stop()

# The rows behind one figure of another page: its ref, ad, post or website page.
pages, ads = store.fetch("page_list"), store.fetch("ad_titles")
pick = contact_widgets.contact_picks(rows, pages, ads, shown)
contact_widgets.in_url(search, rows)  # its Show, search and picks, for a copied link
df = store.fetch("contact_rows", f, search.text, pick, search.stored_id)
if df.empty:
    notices.nothing_in_range("No contacts match.", f, also="the picks above")
    st.stop()

st.caption(contact_widgets.listed(pick, len(df), f))
df = queries.with_page_labels(df, store.fetch("page_list"))  # each contact's page by name
widgets.table(df)
said = contact_widgets.recorded(search, rows)  # as the URL holds it
widgets.download_table(df, "contacts", f, search=said, **pick.described())
