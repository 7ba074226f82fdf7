"""Overview: KPIs against the previous period, new contacts per day by channel, channel mix, and
new contacts per Shops or ad product when some came through one."""

import streamlit as st

from dashboard import charts, notices, report_data, store, widgets

f = st.session_state["filters"]
st.title("Overview")
st.caption(f"{f.start} – {f.end}; compared with {f.previous().start} – {f.previous().end}")
totals = store.fetch("channel_totals", f)
# The KPIs stand without new contacts too: spend, reachable contacts, the previous period.
widgets.kpi_row(
    store.fetch("kpis", f),
    store.fetch("kpis", f.previous(), True),  # covered in part: none, and why
    report_data.kpi_specs(widgets.currency()),  # the same KPIs as the report's
    widgets.range_not_covered(f),  # a range outside the data: its own "—" says so
)
widgets.spend_coverage(f)
if not totals["new_contacts"].sum():
    notices.nothing_in_range("No new contacts in this range and filter.", f)
    if not totals.empty:  # contacts came back, though: through which channels
        widgets.table(totals)
        widgets.download_table(totals, "channel_totals", f)  # as every table shown
    st.stop()
widgets.chart(charts.new_contacts_by_day_bar(store.fetch("new_contacts_by_day", f), f.start, f.end))
left, right = st.columns([1, 2])
with left:
    widgets.chart(charts.channel_mix_pie(totals))
with right:
    widgets.table(totals)
widgets.download_table(totals, "channel_totals", f)
products = store.fetch("products", f)
if not products.empty:  # no contact of the range came through a product: nothing to show
    st.subheader(report_data.PRODUCTS)
    st.caption(report_data.PRODUCTS_NOTE)  # as the report's section says it
    widgets.table(products)
    widgets.download_table(products, "products", f)
