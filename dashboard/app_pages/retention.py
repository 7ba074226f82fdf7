"""Retention: weekly cohorts by channel, D1/D7/D30 return and read rate by channel."""

import streamlit as st

from dashboard import charts, notices, store, widgets
from dashboard.retention_queries import of_channel

f = st.session_state["filters"]
st.title("Retention")
cohorts = store.fetch("cohorts", f)
PICK = "rs_retention_channel"
if cohorts.empty:
    notices.nothing_in_range("No contacts acquired in this range.", f)
    widgets.pick_not_drawn(PICK, "all")
    st.stop()

channels = charts.in_channel_order(cohorts["channel"])
pick = widgets.kept_selectbox(
    "Channel", ["all", *channels], PICK,
    format_func=lambda c: "All channels" if c == "all" else charts.channel_label(c),
)  # fmt: skip
shown = None if pick == "all" else pick
widgets.chart(charts.cohort_heatmap(cohorts, shown))
widgets.partial_weeks_note(f, of_channel(cohorts, shown))  # a range that starts or ends mid-week
# The heatmap's shares, per channel: of the picked channel only, which the file names.
widgets.download_table(of_channel(cohorts, shown), "cohorts", f, channel=shown or "")
st.caption(
    "A share counts only the contacts whose week (or N days) had passed when the data ends: "
    "a contact acquired last week is not yet a contact who did not come back."
)
returns = store.fetch("returns_by_channel", f)
widgets.chart(charts.returns_bar(returns))
widgets.table(returns)
widgets.download_table(returns, "returns_by_channel", f)
