"""Overview: new contacts per channel over time, and totals per channel."""

import streamlit as st

from dashboard import charts, store, widgets

f = st.session_state["filters"]
st.title("Overview")
st.caption(f"{f.start} – {f.end}")
totals = store.fetch("channel_totals", f)
if totals.empty:
    widgets.empty_state("No new contacts in this range and filter.")
    st.stop()

cols = st.columns(3)
cols[0].metric("New contacts", f"{int(totals['new_contacts'].sum()):,}")
cols[1].metric("Engaged contacts", f"{int(totals['engaged'].sum()):,}")
cols[2].metric("Engaged rate", f"{totals['engaged'].sum() / totals['new_contacts'].sum():.1%}")

st.plotly_chart(charts.new_contacts_by_day_bar(store.fetch("new_contacts_by_day", f)))
left, right = st.columns([1, 2])
left.plotly_chart(charts.channel_mix_pie(totals))
right.dataframe(
    totals.assign(channel=totals["channel"].map(charts.channel_label)),
    hide_index=True,
    column_config={"engaged_rate": st.column_config.NumberColumn("engaged rate", format="percent")},
)
