"""The "Create links" page's actions: preview, register and export tracked links and codes.

Thin glue between Streamlit widgets and ingest.links / ingest.qr, kept out of the page file.
"""

from __future__ import annotations

from dataclasses import dataclass

from dashboard import store
from ingest import links, qr
from ingest.errors import RefscopeError


@dataclass(frozen=True)
class Preview:
    link: links.Link | None
    error: str | None
    png: bytes = b""
    svg: bytes = b""
    sheet: bytes = b""


def preview(page: str, ref: str, channel: str, campaign: str, placement: str, notes: str,
            style: qr.QrStyle) -> Preview:  # fmt: skip
    """Validate the form and render its code; an invalid form returns the rule it broke."""
    try:
        link = links.make_link(page, ref or None, channel, campaign, placement, notes)
        png = qr.png_bytes(link.url, style)
        svg = qr.svg_bytes(link.url, style)
        label = " / ".join(p for p in (link.campaign, link.placement) if p)
        sheet = qr.print_sheet([(link.url, link.ref, label)], style)
    except RefscopeError as exc:
        return Preview(None, str(exc))
    return Preview(link, None, png, svg, sheet)


def register(link: links.Link) -> str:
    """Register a link; the message to show."""
    try:
        with store.writing() as con:
            added = links.register(con, [link])
    except RefscopeError as exc:
        return f"Not registered: {exc}"
    return f"Registered {link.ref}." if added else f"{link.ref} was already registered."


def register_seen(page_id: str, ref: str, channel: str) -> str:
    """One-click registration of a ref seen in the logs."""
    try:
        link = links.make_link(page_id, ref, channel)
    except RefscopeError as exc:
        return f"Not registered: {exc}"
    return register(link)
