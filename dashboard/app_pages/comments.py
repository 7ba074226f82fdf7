"""Comments: per post, comments received, private replies sent and conversations opened."""

import streamlit as st

from dashboard import charts, notices, queries, store, widgets

f = st.session_state["filters"]
st.title("Comments")
df = store.fetch("comments", f)
if df.empty:
    notices.nothing_in_range("No comments or private replies in this range.", f,
                             ("comment_reply",), kind="comments")  # fmt: skip
    st.stop()

widgets.chart(charts.comments_funnel(df))
df = queries.with_page_labels(df, store.fetch("page_list"))  # each post's page by name
widgets.table(df)
widgets.download_table(df, "comments", f)
