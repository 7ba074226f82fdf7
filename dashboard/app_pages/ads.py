"""Ads: contacts and cost per Click-to-Messenger ad, next to Meta's own conversation count."""

import streamlit as st

from dashboard import charts, store, widgets

f = st.session_state["filters"]
st.title("Ads")
df = store.fetch("ads", f)
if df.empty:
    widgets.nothing_in_range("No Click-to-Messenger contacts or ad spend in this range.")
    st.stop()

st.plotly_chart(charts.ads_contacts_bar(df))
if df["spend"].notna().any():
    st.plotly_chart(charts.ads_cost_bar(df))
else:
    st.info("No ad insights for this range yet: cost figures appear once ad spend is loaded.")
st.dataframe(
    df,
    hide_index=True,
    column_config={
        "engaged_rate": st.column_config.NumberColumn("engaged rate", format="percent"),
        "spend": st.column_config.NumberColumn("spend", format="%.2f"),
        "cost_per_contact": st.column_config.NumberColumn("cost / new contact", format="%.2f"),
        "cost_per_engaged": st.column_config.NumberColumn("cost / engaged", format="%.2f"),
        "conversations_started": st.column_config.NumberColumn("Meta: conversations started"),
    },
)
widgets.download_table(df, "ads", f)
