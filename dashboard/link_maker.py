"""The "Create links" page's actions: preview, register and export tracked links and codes.

Thin glue between Streamlit widgets and ingest.links / ingest.qr, kept out of the page file.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import streamlit as st

from dashboard import store, widgets
from ingest import links, qr, qr_sheet
from ingest.errors import RefscopeError


@dataclass(frozen=True)
class Preview:
    link: links.Link | None
    error: str | None
    png: bytes = b""
    svg: bytes = b""
    sheet: bytes = b""
    name: str = ""  # the codes' file name without extension, as `links qr` writes it
    note: str | None = None  # a redirect address beyond ASCII: the ASCII form links carry
    sheet_note: str | None = None  # the sheet's label shows marks for characters it lacks
    warning: str | None = None  # a redirect address ending in /r: links …/r/r/<ref>


def page_option(label: str, page: str) -> str:
    """A page as the picker shows it: its name and how links name it, once when they agree."""
    return page if label == page else f"{label} ({page})"


def preview(page: str, ref: str, channel: str, campaign: str, placement: str, notes: str,
            style: qr.QrStyle | None, base_url: str = "") -> Preview:  # fmt: skip
    """Validate the form and render its code (a QR code's, given its style: an m.me link has
    none); an invalid form returns the rule it broke. With base_url (refscope serve's public
    address) the link points at its /r/<ref>, where every click and scan is counted."""
    try:
        link = _as_registered(links.make_link(page, ref or None, channel, campaign, placement,
                                              notes, base_url.strip() or None))  # fmt: skip
        if rule := _conflict(link):  # said before a code is offered, not after Register
            return Preview(None, rule)
        if style is None:
            return Preview(link, None, note=_note(base_url, link), warning=_warning(link))
        png = qr.png_bytes(link.url, style)
        svg = qr.svg_bytes(link.url, style)
        sheet = qr_sheet.drawn_sheet([links.sheet_label(link)], style)
    except RefscopeError as exc:
        return Preview(None, str(exc))
    lacking = (f"The print sheet's label shows {sheet.mark} for characters its font does not "
               "have (the sheet says so at its foot, outside the cut marks); the PNG and SVG "
               "carry no label." if sheet.lacking else None)  # fmt: skip
    return Preview(link, None, png, svg, sheet.pdf, _code_name(link), _note(base_url, link),
                   lacking, _warning(link))  # fmt: skip


def _note(base_url: str, link: links.Link) -> str | None:
    """Both forms of a redirect address beyond ASCII (links.ascii_note), or None: the address
    as typed and as make_link checked it into the link."""
    return links.ascii_note(base_url.strip(), link.base_url) if link.base_url else None


def _warning(link: links.Link) -> str | None:
    """What is said of a redirect address ending in /r (links.doubled_r_warning), or None."""
    return links.doubled_r_warning(link.base_url) if link.base_url else None


def _code_name(link: links.Link) -> str:
    """The file name (without extension) `links qr` and `links create` give the link's code:
    `<ref>`, `<ref>.<page>` for a ref another page has a QR code of, `<ref>~<hash>` beside a
    QR code's ref equal but for case (links.code_name)."""
    if not store.has_database():  # no database yet: nothing registered
        return link.ref
    return str(store.fetch("code_name", link.page, link.ref)["name"].iloc[0])


def _as_registered(link: links.Link) -> links.Link:
    """The link with its registered URL when its page (any case, or its other name in `pages`)
    and ref are registered: a code downloaded again must encode that URL (a redirect link's
    scans are counted there)."""
    if not store.has_database():  # no database yet: nothing registered
        return link
    same = store.fetch("registered_url", link.page, link.ref)
    if same.empty:
        return link
    return dataclasses.replace(link, registered_url=str(same["url"].iloc[0]))


def _conflict(link: links.Link) -> str | None:
    """The one-meaning rule the link breaks against the registry, or None."""
    if not store.has_database():  # no database yet: nothing registered
        return None
    found = store.fetch("link_conflict", link.page, link.ref, link.channel, link.campaign,
                        link.placement, link.notes)  # fmt: skip
    return None if found.empty else str(found["rule"].iloc[0])


def register(link: links.Link) -> str:
    """Register a link; the message to show."""
    try:
        with store.writing() as con:
            added = links.register(con, [link])
    except RefscopeError as exc:
        return f"Not registered: {exc}"
    return f"Registered {link.ref}." if added else f"{link.ref} was already registered."


# Shown while the form has no ref, campaign or placement: either part alone builds a ref, as
# `links create --placement Door` does (links.make_link).
FORM_HINT = ("Give a campaign, a placement or both (the ref is built from what is given and the "
             "month: campaign-placement-YYYY_MM), or a ref.")  # fmt: skip
PAGE_KEY = "create_links_page"  # session state: the page picked in the link form, by its id
TOAST_KEY = "create_links_toast"  # session state: the message shown after the rerun


def announce_and_rerun(message: str) -> None:
    """Show a registration's outcome on a fresh run of the page, so the registry table (drawn
    above the buttons) and the list of unregistered refs show the new state at once."""
    st.session_state[TOAST_KEY] = message
    st.cache_data.clear()
    st.rerun()


def show_announcement() -> None:
    """The toast of the registration that started this run, once: the ref or names it quotes
    as given, not as markdown ("Registered __vip__." in bold)."""
    if message := st.session_state.pop(TOAST_KEY, None):
        st.toast(widgets.literal_message(message))


def register_seen(page_id: str, ref: str, channel: str) -> str:
    """One-click registration of a ref seen in the logs."""
    try:
        link = links.make_link(page_id, ref, channel)
    except RefscopeError as exc:
        return f"Not registered: {exc}"
    return register(link)
