"""The Contacts page's own widgets: its search and the picks that narrow it to the rows behind
one figure of another page, kept for the session and in the URL like the sidebar filters."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import pandas as pd
import streamlit as st

from dashboard import contact_url, store, widgets
from dashboard.filters import (
    ACQUIRED,
    CONTACT_PARAMS,
    NO_REF,
    REACHABLE,
    REENTRIES,
    SHOWS,
    UNKNOWN_AD,
    ContactPick,
    ContactSearch,
    Filters,
)
from dashboard.widgets import LINK_CHANNELS
from ingest.migrations import SALTED_UNRECORDED
from ingest.privacy import SALT_ENV, Privacy, salt_setting
from ingest.wording import counted

# What the Show picker calls each list: the Overview's name for the figure it stands behind.
SHOWN = {
    ACQUIRED: "Acquired in the range",
    REACHABLE: "Reachable at the end (24 h)",
    REENTRIES: "Re-entries in the range",
}


def contact_list() -> ContactPick:
    """The Show picker: which contacts the page lists (ContactPick.show), kept for the session
    like the picks; the picks are then made among them (contact_picks)."""
    _restore(contact_url.SHOW)
    show = st.selectbox("Show", SHOWS, key=contact_url.SHOW, format_func=SHOWN.__getitem__)
    return ContactPick(show=_kept(contact_url.SHOW, show or ACQUIRED))


def listed(pick: ContactPick, rows: int, f: Filters) -> str:
    """What the table holds, above it: "147 contacts acquired 2026-10-28 – 2026-11-24"."""
    if pick.show == REACHABLE:
        return (f"{counted(rows, 'contact')} reachable at the end of {f.start} – {f.end} (an own "
                "action in its last 24 hours), whenever acquired")  # fmt: skip
    if pick.show == REENTRIES:
        return f"{counted(rows, 're-entry', 're-entries')} {f.start} – {f.end}"
    return f"{counted(rows, 'contact')} acquired {f.start} – {f.end}"


def contact_picks(
    rows: pd.DataFrame, pages: pd.DataFrame, ads: pd.DataFrame, listing: ContactPick
) -> ContactPick:
    """Pickers that narrow the Contacts page's list (listing: contact_list's) to the rows behind
    one figure of another page: a link or QR ref of a page (or NO_REF: the link rows without
    one), an ad, a post, a website page, engaged or not. Their choices are
    those the rows (contact_rows' columns) hold; a picker with none is left out. An ad is named
    as the Ads page names it (ads: ad_titles' rows), not by a headline of the range's contacts.

    A ref or post is picked with its page, as Links & QR codes and Comments count them: the same
    ref (or "(unknown post)") on two pages is two rows there, named with their page (page_list's
    label) as the Links & QR codes chart names them."""
    labels = dict(zip(pages["page_id"], pages["label"], strict=True))
    link_rows = rows[rows["channel"].isin(LINK_CHANNELS)]
    links, of_page = _of_page(link_rows, "ref", labels)
    if link_rows["ref"].isna().any():  # m.me/<page> alone: what no ref's row counts
        links = pd.concat([links, pd.Series([NO_REF], dtype=object)], ignore_index=True)

    def link_name(value: str | tuple[str, str]) -> str:
        return value if isinstance(value, str) else of_page(value)

    replies = rows[rows["channel"] == "comment_reply"]
    posts, post_name = _of_page(replies, "post_id", labels)
    # Ad contacts whose referral named no ad are a row of the Ads page too: "(unknown ad)".
    ad_ids = rows.loc[rows["channel"] == "ctm_ad", "ad_id"].fillna(UNKNOWN_AD)
    titles = dict(zip(ads["ad_id"], ads["ad_title"], strict=True))

    def ad_name(ad: str) -> str:
        """An ad by its title and "(its id)", or "(unknown ad)"; by that alone without one."""
        tag = ad if ad == UNKNOWN_AD else f"({ad})"
        return f"{titles[ad]} {tag}" if ad in titles else ad

    chats = rows.loc[rows["channel"] == "chat_widget", "referer_uri"].fillna("(unknown page)")
    pickers: list[tuple[str, str, pd.Series, Callable[[Any], str]]] = [
        ("ref", "Link or QR ref", links, link_name),
        ("ad_id", "Ad", ad_ids, ad_name),
        ("post_id", "Post", posts, post_name),
        ("referer_uri", "Website page", chats, str),
    ]
    # Picks the last run did not draw (it stopped at "No contacts match") are sent again.
    again = bool(st.session_state.pop(_UNDRAWN, False))
    chosen: dict[str, object] = {}
    cleared: list[str] = []
    shown = [p for p in pickers if p[2].notna().any()]
    for name, label, _, fmt in pickers:
        if name not in {p[0] for p in shown}:
            cleared += _unseen_pick_cleared(f"rs_pick_{name}", label, fmt, again)
    cols = st.columns(len(shown) + 1)
    for col, (name, label, values, fmt) in zip(cols, shown, strict=False):
        # NO_REF, a text among the refs' (ref, page) pairs, last.
        options = [None, *sorted(values.dropna().unique(), key=lambda v: (v == NO_REF, v))]
        key = f"rs_pick_{name}"
        _restore(key, again)
        if st.session_state.get(key) not in options:
            # A pick no contact of these filters has (the range changed): back to "any".
            cleared.append(f"{label.lower()} {widgets.literal(fmt(st.session_state[key]))}")
            st.session_state[key] = None
        widgets.named_anew(key, _or_any(fmt, st.session_state.get(key)))
        chosen[name] = _kept(key, col.selectbox(label, options, key=key, placeholder=ANY,
                                                format_func=partial(_or_any, fmt)))  # fmt: skip
    yes_no = partial(_or_any, lambda v: "yes" if v else "no")
    _restore("rs_pick_engaged", again)
    chosen["engaged"] = _kept("rs_pick_engaged", cols[-1].selectbox(
        "Engaged", [None, True, False], format_func=yes_no, key="rs_pick_engaged",
        placeholder=ANY))  # fmt: skip
    if cleared:
        st.caption(f"No contact of these filters has {', '.join(cleared)}: that pick is cleared.")
    for name, page in (("ref", "ref_page"), ("post_id", "post_page")):
        value = chosen.pop(name, None)
        if value == NO_REF:
            chosen["refless"] = True
        elif isinstance(value, tuple):
            chosen[name], chosen[page] = value
    return ContactPick(**chosen, show=listing.show)  # type: ignore[arg-type]


def _unseen_pick_cleared(key: str, label: str, fmt: Callable[[Any], str], again: bool) -> list[str]:
    """Clear the pick of a picker these filters leave out (no contact of them has such a value:
    an ad picked, then the channel filter set to Organic), and name it as the user last saw it
    for the note. Kept, it narrowed nothing while its picker was gone, without a word, and came
    back with the picker to narrow the table again."""
    _restore(key, again)
    value = st.session_state.pop(key, None)
    _kept(key, None)
    if value is None:
        return []
    return [f"{label.lower()} {widgets.literal(str(widgets.drawn_label(key) or fmt(value)))}"]


def _of_page(
    rows: pd.DataFrame, column: str, labels: dict[str, str]
) -> tuple[pd.Series, Callable[[tuple[str, str]], str]]:
    """The (value, page_id) pairs of column in rows, and their names: the value alone, with its
    page's label after it when another page has the value too."""
    held = rows.loc[rows[column].notna()]
    pairs = pd.Series(list(zip(held[column], held["page_id"], strict=True)), dtype=object)
    shared = set(held.drop_duplicates([column, "page_id"])[column].loc[lambda v: v.duplicated()])

    def name(pair: tuple[str, str]) -> str:
        value, page_id = pair
        return f"{value} · {labels.get(page_id, page_id)}" if value in shared else value

    return pairs, name


SEARCH = "Search psid, ref, ad title, product id or website page"


def contact_search() -> ContactSearch:
    """The Contacts page's search box, kept for the session like its picks; the text it
    searches for is without the spaces around it (an id pasted with them found nothing). In a
    salted database, a caption under it says how an id is found (id_search)."""
    _seed_from_url()
    _restore(contact_url.SEARCH)
    typed = _kept(contact_url.SEARCH, st.text_input(SEARCH, key=contact_url.SEARCH))
    search, note = id_search(str(typed).strip(), store.fetch("id_scheme")["scheme"].iloc[0])
    if note:
        st.caption(note)
    return search


_HASHED = f"Ids are stored hashed ({SALT_ENV}): the PSID column shows each as stored."
_BY_STORED = (
    "Search by the id as that column shows it, or start the dashboard with the database's "
    f"{SALT_ENV} set (as the ingest runs) to find a PSID or user_ref as Meta gives it."
)
SEARCH_NOTES = {
    "salt": f"{_HASHED} A PSID or user_ref typed whole also finds its contact, by its hash.",
    "no salt": f"{_HASHED} This dashboard runs without {SALT_ENV}: a PSID or user_ref as Meta "
    f"gives it finds no one. {_BY_STORED}",
    "other salt": f"{_HASHED} This dashboard runs with a {SALT_ENV} that is not the one the "
    f"database was made with: a PSID or user_ref as Meta gives it finds no one. {_BY_STORED}",
}


def id_search(
    text: str, scheme: str | None, privacy: Privacy | None = None
) -> tuple[ContactSearch, str]:
    """The search for text in data whose ids are stored by scheme (queries.id_scheme), and what
    to say of it ("" where ids are stored as they came). With the dashboard's salt (privacy:
    the environment's) that of a salted database, the text is also searched as it would be
    stored (the ingest's own hash: Privacy.stored_id); where the data does not record its
    salt (a lake, an older database), the salt set is taken for it."""
    if scheme is None:
        return ContactSearch(text), ""
    privacy = privacy or Privacy(salt=salt_setting())
    if privacy.salt is None:
        return ContactSearch(text), SEARCH_NOTES["no salt"]
    if scheme not in (privacy.scheme(), SALTED_UNRECORDED):
        return ContactSearch(text), SEARCH_NOTES["other salt"]
    return ContactSearch(text, privacy.stored_id(text) if text else None), SEARCH_NOTES["salt"]


# Streamlit forgets the state of widgets a page switch does not draw: the Contacts page's
# search and picks are kept here, and given back when the page is drawn again.
_KEPT_PICKS = "rs_kept_picks"


# Set by a run that stopped before drawing the picks (no contact matched its search or filters).
_UNDRAWN = "rs_picks_undrawn"


def picks_not_drawn() -> None:
    """This run shows no picks: the next that does sends the browser their kept values again.
    The browser draws a picker that comes back as new, on its first option ("any"), while the
    server may still hold the pick: the table was narrowed by a pick its picker did not show, and
    the browser's "any" then replaced the pick on the next change."""
    st.session_state[_UNDRAWN] = True


_SEEDED = "rs_contacts_seeded"


def _seed_from_url() -> None:
    """Once a session, on its first drawing of the page: the Show, search and picks of the
    link that opened it become the kept picks its widgets are given (_restore). What cannot be
    used is said above the page, as of the sidebar's filters; a pick no contact of the filters
    has is cleared by contact_picks, which says so."""
    if st.session_state.get(_SEEDED):
        return
    st.session_state[_SEEDED] = True
    params = {k: st.query_params.get_all(k) for k in CONTACT_PARAMS if k in st.query_params}
    if not params:
        return
    kept, problems = contact_url.from_url(params)
    st.session_state.setdefault(_KEPT_PICKS, {}).update(kept)
    if problems:
        said = widgets.literal("; ".join(problems))  # the link's values as given
        st.warning(f"Part of this link could not be used: {said}.")


def recorded(search: ContactSearch, rows: pd.DataFrame) -> str:
    """The search as the URL and a download record it ("" for none), one text for both, so a
    file names the search as its page's link does. rows: those the search found (before the
    picks): a salted database's id found by its hash is recorded as stored
    (ContactSearch.described), never as typed, also when the picks leave its contact out of
    the rows downloaded. There a search that found no one is kept for the session alone: as
    typed it may be a PSID as Meta gives it (the dashboard without the salt finds no one by
    it), and its hash is no search anyone typed; one already in the stored form (a found
    contact's URL, opened under other filters) is no PSID, and is recorded as stored, in
    lower case, also when typed in upper case (which finds the same contact)."""
    said = search.described(rows["psid"] if not rows.empty else [])["search"]
    salted = store.fetch("id_scheme")["scheme"].iloc[0] is not None
    if salted and search.as_stored:
        return said.lower()  # as stored, found in any case
    return "" if rows.empty and salted else said


def in_url(search: ContactSearch, rows: pd.DataFrame) -> None:
    """Write the page's Show, search and picks (as kept this run) into the URL beside the
    sidebar's filters, so that a copied link lists the same rows; the search as recorded()
    says it (rows: those the search found, before the picks)."""
    said = recorded(search, rows)
    qp = st.query_params
    now = {k: qp.get_all(k) for k in qp}
    wanted = {k: v for k, v in now.items() if k not in CONTACT_PARAMS}
    wanted |= {k: [v] for k, v in contact_url.to_url(st.session_state.get(_KEPT_PICKS, {}),
                                                     said).items()}  # fmt: skip
    if wanted != now:
        qp.from_dict(wanted)


def _restore(key: str, again: bool = False) -> None:
    """Give a picker its kept pick when Streamlit forgot it (a visit to another page), or, again,
    when the last run did not draw it (picks_not_drawn)."""
    kept = st.session_state.get(_KEPT_PICKS, {})
    if key in kept and (again or key not in st.session_state):
        st.session_state[key] = kept[key]


def _kept(key: str, value: Any) -> Any:
    st.session_state.setdefault(_KEPT_PICKS, {})[key] = value
    return value


# A picker's "any": its first option, and its placeholder, which Streamlit shows in its place
# when the pick kept for the session (given back after a visit to another page) is "any".
ANY = "any"


def _or_any(fmt: Callable[[Any], str], value: object) -> str:
    return ANY if value is None else fmt(value)
