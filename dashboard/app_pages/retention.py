"""Retention: weekly cohorts by channel, D1/D7/D30 return and read rate by channel."""

import streamlit as st

from dashboard import charts, notices, store, widgets

f = st.session_state["filters"]
st.title("Retention")
cohorts = store.fetch("cohorts", f)
PICK = "rs_retention_channel"
if cohorts.empty:
    notices.nothing_in_range("No contacts acquired in this range.")
    widgets.pick_not_drawn(PICK, "all")
    st.stop()

channels = charts.in_channel_order(cohorts["channel"])
pick = widgets.kept_selectbox(
    "Channel", ["all", *channels], PICK,
    format_func=lambda c: "All channels" if c == "all" else charts.channel_label(c),
)  # fmt: skip
widgets.chart(charts.cohort_heatmap(cohorts, None if pick == "all" else pick))
widgets.download_table(cohorts, "cohorts", f)  # the heatmap's shares, per channel
st.caption(
    "A share counts only the contacts whose week (or N days) had passed when the data ends: "
    "a contact acquired last week is not yet a contact who did not come back."
)
returns = store.fetch("returns_by_channel", f)
widgets.chart(charts.returns_bar(returns))
widgets.table(returns)
widgets.download_table(returns, "returns_by_channel", f)
