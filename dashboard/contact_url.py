"""The Contacts page's Show, search and picks in the URL query string, as the sidebar's filters
are (sidebar_filters.py): a copied link reopens the same list. Named as a download records them
(ContactPick.described, ContactSearch.described): show, search, ref and ref_page, refless,
ad_id, post_id and post_page, referer_uri, engaged."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dashboard.filters import ACQUIRED, CONTACT_PARAMS, NO_REF, SHOWS

# The widget keys of contact_widgets, each with what it holds.
SHOW, SEARCH = "rs_contacts_show", "rs_contacts_search"
REF, AD, POST = "rs_pick_ref", "rs_pick_ad_id", "rs_pick_post_id"
WEBSITE, ENGAGED = "rs_pick_referer_uri", "rs_pick_engaged"
_YES_NO = {"yes": True, "no": False}


def from_url(params: Mapping[str, list[str]]) -> tuple[dict[str, Any], list[str]]:
    """The widget values a link's Contacts parameters give (of one given twice, the last, as
    st.query_params.get reads it), and what it holds that cannot be used, each with what is
    shown instead (as sidebar_filters.url_problems says it). A pick no contact of the filters
    has is cleared on the page, which says so, as one the range left behind."""
    last = {k: v[-1] for k, v in params.items() if k in CONTACT_PARAMS and v}
    kept: dict[str, Any] = {}
    problems = []
    show = last.get("show", ACQUIRED)
    if show in SHOWS:
        kept[SHOW] = show
    else:
        problems.append(f"show {show!r} is not one of {', '.join(SHOWS)} ({ACQUIRED} is shown)")
    if "search" in last:
        kept[SEARCH] = last["search"]
    for key, value, page in ((REF, "ref", "ref_page"), (POST, "post_id", "post_page")):
        if value in last:
            kept[key] = (last[value], last.get(page))
        elif page in last:
            problems.append(f"{page} {last[page]!r} without a {value} (no {value} is picked)")
    refless = last.get("refless")
    if refless == "yes" and "ref" not in last:
        kept[REF] = NO_REF
    elif refless is not None and refless != "no":
        problems.append(f"refless {refless!r} is not yes or no, nor beside a ref (it is not used)")
    for key, name in ((AD, "ad_id"), (WEBSITE, "referer_uri")):
        if name in last:
            kept[key] = last[name]
    engaged = last.get("engaged")
    if engaged in _YES_NO:
        kept[ENGAGED] = _YES_NO[engaged]
    elif engaged is not None:
        problems.append(f"engaged {engaged!r} is not yes or no (any is shown)")
    return kept, problems


def to_url(kept: Mapping[str, Any], search: str) -> dict[str, str]:
    """The URL parameters of the widget values kept (contact_widgets' kept picks) and of the
    search as the URL and a download record it (search: contact_widgets.recorded's); none of a
    value left at "any" (the Show picker's Acquired, an empty search)."""
    out: dict[str, str] = {}
    show = kept.get(SHOW) or ACQUIRED
    if show != ACQUIRED:
        out["show"] = str(show)
    if search:
        out["search"] = search
    for key, value, page in ((REF, "ref", "ref_page"), (POST, "post_id", "post_page")):
        picked = kept.get(key)
        if picked == NO_REF:
            out["refless"] = "yes"
        elif isinstance(picked, tuple):
            out[value] = str(picked[0])
            if picked[1] is not None:
                out[page] = str(picked[1])
    for key, name in ((AD, "ad_id"), (WEBSITE, "referer_uri")):
        if kept.get(key) is not None:
            out[name] = str(kept[key])
    if kept.get(ENGAGED) is not None:
        out["engaged"] = "yes" if kept[ENGAGED] else "no"
    return out
