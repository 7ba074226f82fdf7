"""Comments: per post, comments received, private replies sent and conversations opened."""

import streamlit as st

from dashboard import charts, store, widgets

f = st.session_state["filters"]
st.title("Comments")
df = store.fetch("comments", f)
if df.empty:
    widgets.nothing_in_range("No comments or private replies in this range.")
    st.stop()

st.plotly_chart(charts.comments_funnel(df))
st.dataframe(
    df,
    hide_index=True,
    column_config={
        "reply_rate": st.column_config.NumberColumn("reply → conversation", format="percent")
    },  # fmt: skip
)
widgets.download_table(df, "comments", f)
