"""Reports: the period report for the current filters as PDF, XLSX or HTML downloads."""

from functools import partial

import streamlit as st

from dashboard import reports, store, widgets
from ingest.wording import counted

f = st.session_state["filters"]
st.title("Reports")
st.caption(
    f"{f.start} – {f.end}, compared with {f.previous().start} – {f.previous().end}: KPIs, new "
    "contacts per day by channel and per product (when some came through one), top refs and QR "
    "placements, ads with cost per contact, the comment funnel and retention by channel."
)
report = reports.gather(store.fetch, f, store.lake_path())
if not report.has_data:
    st.info(widgets.literal(report.no_data_message) + " The files say so too.")  # names as given

st.dataframe(reports.kpi_table(report), hide_index=True, placeholder=widgets.MISSING)
# What the figures cover, as every report format prints it below them: a range that starts
# before the data, previous figures not covered, what a KPI counts, ad contacts of unpulled ads.
for note in report.kpi_notes:
    st.caption(widgets.literal(note))
widgets.download_table(reports.kpi_frame(report), "kpis", f)  # its figures as numbers
pdf_problem = reports.pdf_problem()  # no Chromium, or one that does not run
st.caption("The whole report, every section with its charts:")  # not the table's XLSX above
row = st.container(horizontal=True)
for fmt, (label, mime) in reports.REPORT_FORMATS.items():
    row.download_button(
        f"Download {label}",
        partial(reports.render, report, fmt),
        reports.report_file_name(f, fmt),
        mime,
        key=f"report-{fmt}",
        on_click="ignore",
        disabled=fmt == "pdf" and bool(pdf_problem),
    )
if pdf_problem:
    st.caption(pdf_problem)
st.caption("This report again, from the command line:")
# With `dashboard --lake`, the command reads the same lake (there is no database then).
db, lake = store.database_path(), store.lake_path()
st.code(reports.report_command(f, db=db, lake=lake), language="bash")
st.caption(
    f"From cron, the last {counted(f.rolling_days, 'day')} up to the newest whole day, whenever "
    "it runs:"
)
st.code(reports.report_command(f, db=db, lake=lake, rolling=True), language="bash")
