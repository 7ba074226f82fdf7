"""The Contacts page's own widgets: its search and the picks that narrow it to the rows behind
one figure of another page, kept for the session like the sidebar filters."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import pandas as pd
import streamlit as st

from dashboard.filters import ContactPick
from dashboard.widgets import LINK_CHANNELS


def contact_picks(rows: pd.DataFrame, pages: pd.DataFrame) -> ContactPick:
    """Pickers that narrow the Contacts page to the rows behind one figure of another page: a
    link or QR ref of a page, an ad, a post, a website page, engaged or not. Their choices are
    those the rows (contact_rows' columns) hold; a picker with none is left out.

    A ref is picked with its page, as Links & QR codes counts it: the same ref on two pages is
    two links, named with their page (page_list's label) as that page's chart names them."""
    linked = rows.loc[rows["channel"].isin(LINK_CHANNELS) & rows["ref"].notna()]
    links = pd.Series(list(zip(linked["ref"], linked["page_id"], strict=True)), dtype=object)
    shared = set(linked.drop_duplicates(["page_id", "ref"])["ref"].loc[lambda r: r.duplicated()])
    labels = dict(zip(pages["page_id"], pages["label"], strict=True))

    def link_name(link: tuple[str, str]) -> str:
        ref, page_id = link
        return f"{ref} · {labels.get(page_id, page_id)}" if ref in shared else ref

    ads = rows[rows["channel"] == "ctm_ad"].dropna(subset=["ad_id"])
    named = ads.dropna(subset=["ad_title"]).drop_duplicates("ad_id")
    titles = dict(zip(named["ad_id"], named["ad_title"], strict=True))
    posts = rows.loc[rows["channel"] == "comment_reply", "post_id"]
    chats = rows.loc[rows["channel"] == "chat_widget", "referer_uri"].fillna("(unknown page)")
    pickers: list[tuple[str, str, pd.Series, Callable[[Any], str]]] = [
        ("ref", "Link or QR ref", links, link_name),
        ("ad_id", "Ad", ads["ad_id"], lambda a: f"{titles[a]} ({a})" if a in titles else a),
        ("post_id", "Post", posts, str),
        ("referer_uri", "Website page", chats, str),
    ]
    chosen: dict[str, object] = {}
    cleared: list[str] = []
    shown = [p for p in pickers if p[2].notna().any()]
    cols = st.columns(len(shown) + 1)
    for col, (name, label, values, fmt) in zip(cols, shown, strict=False):
        options = [None, *sorted(values.dropna().unique())]
        key = f"rs_pick_{name}"
        _restore(key)
        if st.session_state.get(key) not in options:
            # A pick no contact of these filters has (the range changed): back to "any".
            cleared.append(f"{label.lower()} {fmt(st.session_state[key])}")
            st.session_state[key] = None
        chosen[name] = _kept(key, col.selectbox(label, options, key=key,
                                                format_func=partial(_or_any, fmt)))  # fmt: skip
    yes_no = partial(_or_any, lambda v: "yes" if v else "no")
    _restore("rs_pick_engaged")
    chosen["engaged"] = _kept("rs_pick_engaged", cols[-1].selectbox(
        "Engaged", [None, True, False], format_func=yes_no, key="rs_pick_engaged"))  # fmt: skip
    if cleared:
        st.caption(f"No contact of these filters has {', '.join(cleared)}: that pick is cleared.")
    link = chosen.pop("ref", None)
    if isinstance(link, tuple):
        chosen["ref"], chosen["ref_page"] = link
    return ContactPick(**chosen)  # type: ignore[arg-type]


def contact_search() -> str:
    """The Contacts page's search box, kept for the session like its picks."""
    _restore("rs_contacts_search")
    return str(_kept("rs_contacts_search", st.text_input(
        "Search psid, ref, ad title or website page", key="rs_contacts_search")))  # fmt: skip


# Streamlit forgets the state of widgets a page switch does not draw: the Contacts page's
# search and picks are kept here, and given back when the page is drawn again.
_KEPT_PICKS = "rs_kept_picks"


def _restore(key: str) -> None:
    kept = st.session_state.get(_KEPT_PICKS, {})
    if key not in st.session_state and key in kept:
        st.session_state[key] = kept[key]


def _kept(key: str, value: Any) -> Any:
    st.session_state.setdefault(_KEPT_PICKS, {})[key] = value
    return value


def _or_any(fmt: Callable[[Any], str], value: object) -> str:
    return "any" if value is None else fmt(value)
