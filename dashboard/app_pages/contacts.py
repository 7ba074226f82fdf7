"""Contacts: the rows behind every number, searchable and downloadable."""

import streamlit as st

from dashboard import store, widgets

f = st.session_state["filters"]
st.title("Contacts")
search = st.text_input("Search psid, ref, ad title or website page")
df = store.fetch("contact_rows", f, search)
if df.empty:
    widgets.nothing_in_range("No contacts match.")
    st.stop()

st.caption(f"{len(df):,} contacts acquired {f.start} – {f.end}")
st.dataframe(df, hide_index=True)
widgets.download_table(df, "contacts", f, search=search)
