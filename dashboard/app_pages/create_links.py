"""Create links: a tracked m.me link or QR code with live preview, and the registry."""

import pandas as pd
import streamlit as st

from dashboard import link_maker, page_settings, queries, store, widgets
from ingest import qr

st.title("Create links")
link_maker.show_announcement()
f = st.session_state["filters"]  # None: no contacts yet (maybe no database)
pages = (store.fetch("known_pages") if f
         else pd.DataFrame({"page": [], "label": [], "page_id": []}))  # fmt: skip
form, shown = st.columns([1, 1])
with form:
    # Each page by its id, which naming it (the form below, `pages set`) leaves as it is: the
    # pick stays on its page, now shown and linked by its username.
    rows = zip(pages["page_id"], pages["page"], pages["label"], strict=True)
    by_id = {i: (p, link_maker.page_option(label, p)) for i, p, label in rows}
    options = [*by_id, "other…"]
    picked = st.session_state.get(link_maker.PAGE_KEY)
    if picked in by_id:  # shown by its new name once named (the browser kept the old one)
        widgets.named_anew(link_maker.PAGE_KEY, by_id[picked][1])
    elif picked not in (None, "other…"):  # a page no longer offered (`forget`)
        del st.session_state[link_maker.PAGE_KEY]
    pick = st.selectbox("Page", options, key=link_maker.PAGE_KEY,
                        format_func=lambda i: by_id[i][1] if i in by_id else i)  # fmt: skip
    page = st.text_input("Page username or id") if pick == "other…" else by_id[pick][0]
    channel = st.radio("Kind", ["link", "qr"], horizontal=True,
                       format_func={"link": "m.me link", "qr": "QR code"}.get)  # fmt: skip
    campaign = st.text_input("Campaign")
    placement = st.text_input("Placement")
    ref = st.text_input("Ref (empty: campaign-placement-month)")
    notes = st.text_input("Notes")
    base_url = st.text_input(
        "Count clicks and scans through (optional)", placeholder="https://go.example.com",
        help="The public address of `refscope serve`: the link or code points at its "
        "/r/<ref>, which counts each click or scan and sends the person on to m.me.",
    )  # fmt: skip
    style = None  # an m.me link gets no code: a printed code's scans would count as link clicks
    if channel == "qr":
        with st.expander("QR style"):
            ec = st.selectbox("Error correction", list(qr.ERROR_LEVELS), index=1)
            fg = st.color_picker("Foreground", "#000000")
            bg = st.color_picker("Background", "#ffffff")
            logo = st.file_uploader("Centre logo (forces error correction H)", type=["png", "jpg"])
        style = qr.QrStyle(error_correction=ec, foreground=fg, background=bg,
                           logo=logo.getvalue() if logo else None)  # fmt: skip
p = link_maker.preview(page or "", ref, channel, campaign, placement, notes, style, base_url)
with shown:
    if not (ref or campaign or placement):
        st.info(link_maker.FORM_HINT)
    elif p.error or p.link is None:
        st.error(widgets.literal_message(p.error))  # the values it quotes as given
    else:
        st.code(p.link.url, language=None)
        if p.warning:
            st.warning(widgets.literal(p.warning))
        if p.note:
            st.caption(widgets.literal(p.note))
        if p.png:
            st.image(p.png, width=260, caption=widgets.literal(p.link.ref))  # markdown
            cols = st.columns(3)
            # Named as `links qr` writes them: `<ref>.<page>` for a ref of several pages' codes.
            cols[0].download_button("PNG", p.png, f"{p.name}.png", "image/png")
            cols[1].download_button("SVG", p.svg, f"{p.name}.svg", "image/svg+xml")
            cols[2].download_button("Print sheet", p.sheet, f"{p.name}.pdf", "application/pdf")
            if p.sheet_note:
                st.caption(p.sheet_note)
        else:
            st.caption("An m.me link has no QR code: choose QR code to print one.")
        if st.button("Register", type="primary"):
            link_maker.announce_and_rerun(link_maker.register(p.link))

st.subheader("Registered links")
if f is None:
    registered = store.fetch("tracked_link_stats") if store.has_database() else pd.DataFrame()
    if registered.empty:
        st.caption("No links registered yet.")
    else:
        widgets.table(registered)
        widgets.download_table(registered, "tracked_links", None)  # no range yet: all dates
else:
    st.caption(f"New contacts each brought in {f.start} – {f.end}, as on Links & QR codes.")
    registered = store.fetch("tracked_link_stats", f)
    if registered.empty:
        st.caption("No links registered yet.")
    else:
        widgets.table(registered)
        widgets.download_table(registered, "tracked_links", f)

    seen = queries.with_page_labels(store.fetch("refs", f), store.fetch("page_list"))
    unregistered = seen[~seen["registered"]] if not seen.empty else seen
    if not unregistered.empty:
        st.subheader("Refs seen in the logs but not registered")
        keys = [f"{r.page_id} · {r.ref}" for r in unregistered.itertuples()]
        # Each by its page's name, as Links & QR codes shows it (the key keeps the page id).
        named = {f"{r.page_id} · {r.ref}": f"{r.page} · {r.ref}" for r in unregistered.itertuples()}
        choice = st.selectbox("Ref", keys, format_func=lambda k: named[k])
        page_id, seen_ref = choice.split(" · ", 1)
        left, right = st.columns(2)
        for col, kind, label in (
            (left, "link", "Register as m.me link"),
            (right, "qr", "Register as QR code"),
        ):
            if col.button(label):
                link_maker.announce_and_rerun(link_maker.register_seen(page_id, seen_ref, kind))

st.subheader("Page usernames and names")
st.caption("Webhooks name a page by its numeric id, m.me links by its username: map them so "
           "links made by username find their contacts (as `refscope pages set`).")  # fmt: skip
stored = page_settings.stored_pages()
pick = st.selectbox("Page id", [*stored, "other…"], key="pages_pick")
named_id = st.text_input("Numeric page id", key="pages_id") if pick == "other…" else pick
row = stored.get(named_id) or page_settings.StoredPage(named_id)
st.caption(widgets.literal(row.stored))  # the names as given, not as markdown
# Each page's fields are its own: what was typed for one page is not saved for the next chosen.
username = st.text_input("Username", key=f"pages_username_{named_id}",
                         placeholder=row.username_hint)  # fmt: skip
name = st.text_input("Display name", key=f"pages_name_{named_id}", placeholder=row.name_hint)
st.caption("A field left empty keeps what is stored.")
if st.button("Save page"):
    outcome = page_settings.save(named_id or "", username, name)
    if outcome.saved:
        link_maker.announce_and_rerun(outcome.message)
    st.error(widgets.literal_message(outcome.message))
