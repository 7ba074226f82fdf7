"""refscope dashboard entry point: page config, shared filters, navigation."""

from __future__ import annotations

import streamlit as st

from dashboard import auth, notices, sidebar_filters, store, widgets
from ingest.errors import DatabaseLocked, RefscopeError

st.set_page_config(page_title="refscope", page_icon="📈", layout="wide")
pages = [
    st.Page("app_pages/overview.py", title="Overview", default=True),
    st.Page("app_pages/links.py", title="Links & QR codes"),
    st.Page("app_pages/ads.py", title="Ads"),
    st.Page("app_pages/website_chat.py", title="Website chat"),
    st.Page("app_pages/comments.py", title="Comments"),
    st.Page("app_pages/retention.py", title="Retention"),
    st.Page("app_pages/contacts.py", title="Contacts"),
    st.Page("app_pages/reports.py", title="Reports"),
]
create_links = st.Page("app_pages/create_links.py", title="Create links")
pages.append(create_links)
auth.require_login(pages)  # before anything reads the database: a login screen shows no data

try:
    run_id, contacts = store.status()
except DatabaseLocked:
    st.title("refscope")
    notices.database_busy()
    st.stop()
except RefscopeError as exc:
    st.title("refscope")
    st.error(widgets.literal_message(exc))  # its path as given
    notices.unreadable()
    st.stop()
if store.writer_busy():
    notices.writer_busy(run_id)
if run_id < 0 or contacts == 0:

    def nothing_yet() -> None:
        st.title("refscope")
        notices.no_contacts_yet(run_id)

    # Links and codes are made before anyone scans them: Create links works without contacts.
    # A link to another page (a bookmark) says the same as Overview, not "Page not found".
    st.session_state["filters"] = None
    elsewhere = [widgets.hidden_page(nothing_yet, p) for p in pages[1:] if p is not create_links]
    st.navigation([st.Page(nothing_yet, title="Overview", default=True), create_links,
                   *elsewhere]).run()  # fmt: skip
    st.stop()

try:
    st.session_state["filters"] = sidebar_filters.global_filters()
    page = st.navigation(pages)
    page.run()
except DatabaseLocked:  # a view not in the cache, while a long run or a prune writes
    notices.database_busy()
