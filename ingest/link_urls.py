"""A link's URL given back to `refscope links import` (its `url` column, as `links list --format
csv` writes it): taken only when it is one refscope makes, or made, for the row's page, ref and
channel, so that a registry listed and imported elsewhere keeps every link's URL, redirect
address included, and a row whose URL belongs to another row (a spreadsheet sorted by one
column) is refused."""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import quote

from .errors import ValidationError
from .link_rules import check_base_url, userinfo_masked
from .links import Link
from .url_check import case_folded

URL_RULE = (
    "a row's url is empty (made from the page and ref, or --via-redirect) or the one refscope "
    "made for its page, ref and channel, as `links list --format csv` writes it: "
    "https://m.me/<page>?ref=<ref, URL-encoded: each = as %3D>, or <redirect address>/r/<ref, "
    "URL-encoded>?page=<page>&qr=<1 for qr, 0 for link>"
)


def with_url(link: Link, url: str) -> Link:
    """link, made without a redirect address, pointing where url does: the m.me link itself, or
    its link through the redirect address url names (as `links create --via-redirect` makes
    it, or as refscope made it before its links named their page: `<address>/r/<ref>?qr=1`,
    kept as it is); any other url is refused with URL_RULE."""
    if case_folded(url) == link.url:
        return link
    head, _, query = url.partition("?")
    ref = quote(link.ref, safe="")
    address = head.removesuffix(f"/r/{ref}")
    qr = "1" if link.channel == "qr_code" else "0"
    if address != head and address:
        try:
            base = check_base_url(address)
        except ValidationError as exc:  # says the address's rule (never its credentials)
            raise ValidationError(f"url: {exc}") from None
        if query == f"page={quote(link.page, safe='')}&qr={qr}":
            return replace(link, base_url=base)
        if query == f"qr={qr}":
            return replace(
                link, base_url=base, registered_url=f"{base.rstrip('/')}/r/{ref}?{query}"
            )
    shown = userinfo_masked(url)
    shown = repr(shown) if len(shown) <= 80 else f"{shown[:80]!r}…"
    raise ValidationError(
        f"url {shown} is not the link of page {link.page!r}, ref {link.ref!r}, channel "
        f"{'qr' if qr == '1' else 'link'}: {URL_RULE}"
    )
