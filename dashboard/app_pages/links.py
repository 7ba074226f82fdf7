"""Links & QR codes: what each ref brings in, with an honest interval on its engaged rate."""

import streamlit as st

from dashboard import charts, notices, queries, report_model, store, widgets
from ingest.wording import counted

f = st.session_state["filters"]
st.title("Links & QR codes")
df = queries.with_page_labels(store.fetch("refs", f), store.fetch("page_list"))
# Link contacts no ref's row counts (m.me/<page> alone), as the report says below Top refs.
refless = report_model.refless_note(store.fetch("refless", f))
if df.empty:
    notices.nothing_in_range("No m.me link or QR code referrals in this range.", f,
                             widgets.LINK_CHANNELS, kind="refs")  # fmt: skip
    if refless:
        st.caption(widgets.literal(refless))  # "<page>" as written, not as HTML
    st.stop()

widgets.chart(charts.refs_bar(df))
st.caption(
    f"Engaged = a second inbound message. Refs with fewer than {queries.MIN_SAMPLE} new "
    "contacts are marked too few to judge; the interval is a 95% Wilson interval."
)
if refless:
    st.caption(widgets.literal(refless))
widgets.table(df)
unregistered = int((~df["registered"]).sum())
if unregistered:
    are, them = ("is", "it") if unregistered == 1 else ("are", "them")
    st.info(
        f"{counted(unregistered, 'ref')} seen in the logs {are} not registered in tracked_links: "
        f"register {them} on Create links to give {them} a campaign and placement."
    )
widgets.download_table(df, "refs", f)
