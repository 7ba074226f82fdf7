"""Links & QR codes: what each ref brings in, with an honest interval on its engaged rate."""

import streamlit as st

from dashboard import charts, queries, store, widgets

f = st.session_state["filters"]
st.title("Links & QR codes")
df = store.fetch("refs", f)
if df.empty:
    widgets.nothing_in_range("No m.me link or QR code referrals in this range.")
    st.stop()

st.plotly_chart(charts.refs_bar(df))
st.caption(
    f"Engaged = a second inbound message. Refs with fewer than {queries.MIN_SAMPLE} new "
    "contacts are marked too few to judge; the interval is a 95% Wilson interval."
)
st.dataframe(
    df,
    hide_index=True,
    column_config={
        "engaged_rate": st.column_config.NumberColumn("engaged rate", format="percent"),
        "ci_low": st.column_config.NumberColumn("95% low", format="percent"),
        "ci_high": st.column_config.NumberColumn("95% high", format="percent"),
        "return_7d_rate": st.column_config.NumberColumn("7-day return", format="percent"),
        "too_few": st.column_config.CheckboxColumn("too few to judge"),
        "registered": st.column_config.CheckboxColumn("registered"),
        "contacts_per_click": st.column_config.NumberColumn("contacts / click", format="percent"),
    },
)
unregistered = int((~df["registered"]).sum())
if unregistered:
    st.info(f"{unregistered} refs seen in the logs are not registered in tracked_links.")
widgets.download_table(df, "refs", f)
