"""Website chat: contacts from the chat plugin by website page, and the guest share."""

import streamlit as st

from dashboard import charts, notices, queries, store, widgets

f = st.session_state["filters"]
st.title("Website chat")
if f.end > queries.CHAT_PLUGIN_SHUTDOWN:
    st.warning(
        f"Meta shut the Messenger chat plugin down on {queries.CHAT_PLUGIN_SHUTDOWN}: "
        "no new website chat contacts arrive after that date."
    )
df = store.fetch("website_chat", f)
if df.empty:
    notices.no_website_chat(f)
    st.stop()

widgets.kpi_row(
    store.fetch("website_chat_totals", f),
    store.fetch("website_chat_totals", f.previous(), True),  # covered in part: none, and why
    [("guest_share", "Guest share", "pct")],
)
widgets.chart(charts.website_pages_bar(df))
widgets.table(df)
widgets.download_table(df, "website_chat", f)
