"""Ads: contacts and cost per Click-to-Messenger ad, next to Meta's own conversation count."""

import streamlit as st

from dashboard import charts, notices, store, widgets

f = st.session_state["filters"]
st.title("Ads")
df = store.fetch("ads", f)
if df.empty:
    notices.nothing_in_range("No Click-to-Messenger contacts or ad spend in this range.", f,
                             ("ctm_ad",), kind="ads")  # fmt: skip
    st.stop()

widgets.spend_coverage(f)
widgets.chart(charts.ads_contacts_bar(df))
if (df["spend"] > 0).any():  # an ad idle on pulled days spent 0: no cost to chart
    widgets.chart(charts.ads_cost_bar(df, widgets.currency()))
else:
    st.info(widgets.no_spend_note(f))
# Without ad insights the spend columns would read "None" all the way down: the note says why.
widgets.table(df, hide_empty=("spend", "cost_per_contact", "cost_per_engaged",
                              "conversations_started"))  # fmt: skip
widgets.download_table(df, "ads", f)
