"""Tracked links: build m.me URLs, keep the `tracked_links` registry and the `pages` map (each
part's rule: link_rules.py).

Registering a ref re-labels the contacts it already brought in (a QR ref turns their
`m_me_link` into `qr_code`), so no re-ingest is needed. Every refusal names the rule it broke.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import quote

import duckdb

from . import attribute, db
from .code_names import NAME_MAX as NAME_MAX  # read as links.<name> too
from .code_names import case_twin as case_twin
from .code_names import case_twins as case_twins
from .code_names import code_name as code_name
from .code_names import code_names as code_names
from .code_names import other_pages as other_pages
from .errors import ValidationError
from .link_rules import (  # noqa: F401 (USERNAME_RULE: read as links.USERNAME_RULE too)
    USERNAME_RULE,
    ascii_note,
    check_base_url,
    check_channel,
    check_notes,
    check_page,
    check_page_id,
    check_ref,
    check_username,
    conventional_ref,
    doubled_r_warning,
    same_username_sql,
    username_key,
    username_key_sql,
)
from .url_check import ascii_url, case_folded

ONE_MEANING_RULE = (
    "a ref means one thing per page (a username and its page id in `pages` are one page)"
)


@dataclass(frozen=True)
class Link:
    """One tracked link as registered."""

    ref: str
    page: str
    channel: str = "m_me_link"  # m_me_link or qr_code
    campaign: str | None = None
    placement: str | None = None
    notes: str | None = None
    base_url: str | None = None  # a refscope redirect server instead of m.me
    registered_url: str | None = None  # the URL stored in tracked_links, once registered
    created: dt.datetime | None = None  # when it was made, in UTC (a links CSV's); None: now

    @property
    def url(self) -> str:
        """The URL its code encodes: once registered, always the stored one (a code made
        again must keep pointing where the printed ones do), in its ASCII form (one an older
        refscope stored with a redirect address beyond ASCII as given), its scheme and host
        in lower case (one an older refscope stored as typed: HTTPS://GO.EXAMPLE/r/…)."""
        if self.registered_url:
            return case_folded(ascii_url(self.registered_url))
        if self.base_url:
            # The page rides along: a ref another page registers later leaves printed codes
            # resolvable (without it, the redirect would have two targets to choose from).
            qr = "1" if self.channel == "qr_code" else "0"
            ref, page = quote(self.ref, safe=""), quote(self.page, safe="")
            return f"{self.base_url.rstrip('/')}/r/{ref}?page={page}&qr={qr}"
        return f"https://m.me/{self.page}?ref={quote(self.ref, safe='')}"

    def attributes(self) -> tuple[str, str | None, str | None, str | None]:
        return (self.channel, self.campaign, self.placement, self.notes)


def make_link(
    page: str,
    ref: str | None = None,
    channel: str = "link",
    campaign: str | None = None,
    placement: str | None = None,
    notes: str | None = None,
    base_url: str | None = None,
    today: dt.date | None = None,
) -> Link:
    """A validated Link; builds the ref from the naming convention when none is given (None or
    empty), with the month of today in UTC (as every date refscope keeps, `created_at`
    included) unless told. A page or ref with surrounding whitespace is refused, not stripped."""
    page = check_page(page)
    if base_url:
        base_url = check_base_url(base_url)  # its ASCII form
    if not ref:
        ref = conventional_ref(campaign, placement, today or dt.datetime.now(dt.UTC).date())
    return Link(
        ref=check_ref(ref),
        page=page,
        channel=check_channel(channel),
        campaign=_text(campaign),
        placement=_text(placement),
        notes=check_notes(notes),
        base_url=base_url or None,
    )


def _text(value: str | None) -> str | None:
    """A free-text attribute without surrounding spaces (they never change what it means)."""
    return (value or "").strip() or None


@dataclass
class Registry:
    """The registered links and the `pages` mapping, read once to check new links against.

    A page is one page whether a link names it by username or by numeric id: `pages` maps each
    username (as Facebook tells usernames apart: not by case or periods) to its id, so every
    spelling gives the same key.
    """

    links: dict[tuple[str, str], Link] = field(default_factory=dict)  # (page key, ref) → link
    page_ids: dict[str, str] = field(default_factory=dict)  # username_key(username) → page id

    @classmethod
    def load(cls, con: duckdb.DuckDBPyConnection) -> Registry:
        pages = con.execute("SELECT page_id, username FROM pages WHERE username IS NOT NULL")
        registry = cls(page_ids={username_key(x): page_id for page_id, x in pages.fetchall()})
        for ref, page, channel, campaign, placement, notes, url in con.execute(
            """SELECT ref, page, channel, campaign, placement, notes, url FROM tracked_links
               ORDER BY created_at, page, ref"""
        ).fetchall():
            link = Link(ref, page, channel, campaign, placement, notes, registered_url=url)
            registry.links.setdefault(registry.key(link), link)
        return registry

    def page_key(self, page: str) -> str:
        name = username_key(page)
        return self.page_ids.get(name, name)

    def key(self, link: Link) -> tuple[str, str]:
        return (self.page_key(link.page), link.ref)

    def get(self, link: Link) -> Link | None:
        """The registered link with the same page and ref, as stored (with its URL)."""
        return self.links.get(self.key(link))

    def add(self, link: Link) -> None:
        self.links[self.key(link)] = link

    def conflict(self, link: Link) -> str | None:
        """Why the link cannot join the registry (the rule it breaks), or None."""
        known = self.get(link)
        if known is None or not differences(known, link):
            return None
        return (
            f"ref {link.ref!r} is already registered for page {known.page!r} with "
            f"{differences(known, link)}: {ONE_MEANING_RULE}"
        )

    def find(self, ref: str, page: str | None = None) -> list[Link]:
        """The registered links of a ref, of one page when given (by username or id)."""
        wanted = self.page_key(page) if page else None
        return [x for (key, r), x in self.links.items() if r == ref and wanted in (None, key)]


ATTRIBUTE_NAMES = ("channel", "campaign", "placement", "notes")


def differences(known: Link, new: Link) -> str:
    """'channel 'qr_code' (here 'm_me_link')': what a conflicting link changes; an attribute
    left out is 'no campaign (here 'spring')' or 'campaign 'spring' (here none)'; '' when
    they are the same link (same_text)."""
    pairs = zip(ATTRIBUTE_NAMES, known.attributes(), new.attributes(), strict=True)
    return ", ".join(
        f"{f'no {name}' if old is None else f'{name} {old!r}'} "
        f"(here {'none' if now is None else repr(now)})"
        for name, old, now in pairs
        if not same_text(old, now)
    )


def same_text(old: str | None, new: str | None) -> bool:
    """Whether two attribute values are one text: 'Café' typed with é as one character or as e
    and an accent (as some Mac apps save a CSV) is one campaign (Unicode's NFC form)."""
    if old is None or new is None:
        return old is new
    return old == new or unicodedata.normalize("NFC", old) == unicodedata.normalize("NFC", new)


def register(con: duckdb.DuckDBPyConnection, links: Iterable[Link]) -> list[Link]:
    """Add links to the registry and re-label existing contacts; return the new ones.

    The same attributes again are a no-op; a ref already registered for the page (by username
    or id) with other attributes is refused, and then nothing at all is written.
    """
    # db.transaction: a commit the disk refuses is one error line, not a failed ROLLBACK's
    # traceback (the transaction is gone by then).
    with db.transaction(con):
        return add_links(con, links)


def add_links(con: duckdb.DuckDBPyConnection, links: Iterable[Link]) -> list[Link]:
    """register's work, inside the caller's transaction (after the pages an import names)."""
    registry = Registry.load(con)
    new: list[Link] = []
    for link in links:
        if rule := registry.conflict(link):
            raise ValidationError(rule)
        if registry.get(link) is None:
            registry.add(link)
            new.append(link)
    if new:
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        con.executemany(
            "INSERT INTO tracked_links VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [[x.ref, x.page, x.channel, x.campaign, x.placement, x.notes, x.url,
              x.created or now] for x in new],
        )  # fmt: skip
        relabel(con)
    return new


def registered(con: duckdb.DuckDBPyConnection, links: Iterable[Link]) -> list[Link]:
    """Each link as the registry holds it (its stored page spelling and URL); unregistered
    links are returned as they are."""
    registry = Registry.load(con)
    return [registry.get(link) or link for link in links]


RELABEL = """
UPDATE {table} t SET channel = CASE WHEN {is_qr} THEN 'qr_code' ELSE 'm_me_link' END
WHERE t.channel IN ('m_me_link', 'qr_code') AND upper(t.source) IN {sources}
"""

# The removed touch a prune kept (history.py), which a later message may repeat: relabelled as a
# live touch (RELABEL), by its source. One kept without its source (an older refscope's prune)
# was an m.me link's if it says m_me_link (that is its source's only channel), and becomes a QR
# code's once its ref is registered as one; a qr_code may be a legacy MESSENGER_CODE's: it stays.
RELABEL_LAST_TOUCH = """
UPDATE contact_history h
SET last_touch = struct_pack(ts := h.last_touch.ts, channel := n.channel,
                             ad_id := h.last_touch.ad_id, ref := h.last_touch.ref,
                             source := h.last_touch.source)
FROM (SELECT t.page_id, t.psid, CASE WHEN {is_qr} THEN 'qr_code' ELSE 'm_me_link' END AS channel
      FROM (SELECT page_id, psid, last_touch.ref AS ref, last_touch.source AS source
            FROM contact_history
            WHERE last_touch.ad_id IS NULL AND last_touch.channel IN ('m_me_link', 'qr_code')
              AND (upper(last_touch.source) IN {sources}
                   OR last_touch.source IS NULL AND last_touch.channel = 'm_me_link')) t) n
WHERE h.page_id = n.page_id AND h.psid = n.psid AND h.last_touch.channel <> n.channel
  AND (h.last_touch.source IS NOT NULL OR n.channel = 'qr_code')
"""


def relabel(con: duckdb.DuckDBPyConnection) -> None:
    """Recompute m.me link / QR code channels of events, touches and contacts from the registry,
    and of the acquisitions a prune kept in contact_history (a later rebuild of the contact
    takes its channel from there), and of the removed touch a later message may repeat."""
    attribute.install_macros(con)
    attribute.refresh_qr_refs(con)
    for table in ("events", "touches", "contacts", "contact_history"):
        con.execute(
            RELABEL.format(
                table=table,
                is_qr=attribute.IS_QR.format(t="t"),
                sources=repr(attribute.SHORTLINK_SOURCES),
            )
        )
    con.execute(
        RELABEL_LAST_TOUCH.format(
            is_qr=attribute.IS_QR.format(t="t"), sources=repr(attribute.SHORTLINK_SOURCES)
        )
    )


def check_page_names(username: str | None, name: str | None) -> str | None:
    """Refuse a bad username or a blank display name (None: not given); the name without the
    spaces around it (as every free-text attribute: they mean nothing)."""
    if name is not None:
        name = name.strip()
        # A zero-width space or a direction mark alone shows as nothing: the page unnamed.
        if not any(c.isprintable() and not c.isspace() for c in name):
            blank = "blank: no visible character" if name else "blank"
            raise ValidationError(
                f"invalid page name ({blank}): give the name the page shows on Facebook, or "
                "leave the name out (no --name, or the dashboard's field empty) to keep the "
                "stored one"
            )
    if username is not None:
        check_username(username)
    return name


def learn_page(con: duckdb.DuckDBPyConnection, page_id: str, username: str | None,
               name: str | None) -> list[tuple[str, str]]:  # fmt: skip
    """Map a numeric page id to its username (what m.me links carry) and display name; what is
    given replaces the stored value, what is None keeps it.

    A username belongs to one page at a time: pages that held it (in any case, with or without
    periods) lose it, and are returned as (page id, the username as they held it).
    """
    return learn_pages(con, [(page_id, username, name)])


def learn_pages(con: duckdb.DuckDBPyConnection,
                pages: Iterable[tuple[str, str | None, str | None]],
                by: str = "`pages set`") -> list[tuple[str, str]]:  # fmt: skip
    """learn_page of each (page id, username, name), in order, then the registry checked and
    relabelled once; by: what named them, for the one-meaning refusal."""
    moved: list[tuple[str, str]] = []
    pages = list(pages)
    for page_id, username, name in pages:
        check_page_id(page_id)
        name = check_page_names(username, name)
        if username is not None:
            held = f"WHERE {same_username_sql('username', '?')} AND page_id <> ?"
            moved += sorted(
                con.execute(f"SELECT page_id, username FROM pages {held}", [username, page_id])
                .fetchall()
            )  # fmt: skip
            con.execute(f"UPDATE pages SET username = NULL {held}", [username, page_id])
        con.execute(
            """INSERT INTO pages VALUES ($id, $username, $name) ON CONFLICT (page_id) DO UPDATE
               SET username = coalesce($username, username), name = coalesce($name, name)""",
            {"id": page_id, "username": username, "name": name},
        )
    if not pages:
        return moved
    if rule := _two_meanings(con):
        raise ValidationError(f"{rule}; {by} would make them one page")
    relabel(con)
    return moved


def _two_meanings(con: duckdb.DuckDBPyConnection) -> str | None:
    """Why the registry, read with the current `pages`, breaks the one-meaning rule (a ref
    registered under a page's id and under its username with different attributes), or None."""
    registry = Registry(page_ids=Registry.load(con).page_ids)
    for row in con.execute(
        "SELECT ref, page, channel, campaign, placement, notes FROM tracked_links "
        "ORDER BY created_at, page, ref"
    ).fetchall():
        link = Link(*row)
        if rule := registry.conflict(link):
            return rule
        registry.add(link)
    return None


def sheet_label(link: Link) -> tuple[str, str, str]:
    """(url, title, subtitle) of a link on the print sheet: the page is always named, since
    two pages' flyers may share a ref."""
    details = " / ".join(p for p in (link.campaign, link.placement) if p)
    return (link.url, link.ref, " · ".join(p for p in (f"page {link.page}", details) if p))


# A registered page's id: through `pages`, or the page itself when numeric (NULL for a username
# `pages` does not map), over tracked_links t LEFT JOIN pages p on the username.
_PAGE_ID = "coalesce(p.page_id, CASE WHEN regexp_full_match(t.page, '[0-9]+') THEN t.page END)"
# The registry, one link per ref and page, with its page_id (_PAGE_ID): a ref registered under a
# page's username and under its id before `pages set` made them one page (the two mean the same)
# is the link registered first, as Registry.load keeps it (its URL the one `links create`
# keeps). `links list` and the Create links page list and count it so.
ONE_PER_PAGE = f"""(
    SELECT t.*, {_PAGE_ID} AS page_id
    FROM tracked_links t LEFT JOIN pages p ON {same_username_sql("p.username", "t.page")}
    QUALIFY row_number() OVER (PARTITION BY t.ref, coalesce({_PAGE_ID},
                                                          {username_key_sql("t.page")})
                               ORDER BY t.created_at, t.page) = 1
)"""


def list_links(con: duckdb.DuckDBPyConnection) -> list[tuple[object, ...]]:
    """The registry as `links list` shows it: a link per ref and page (ONE_PER_PAGE)."""
    return con.execute(
        f"""SELECT ref, page, channel, campaign, placement, url, created_at, notes
            FROM {ONE_PER_PAGE} ORDER BY created_at, page, ref"""
    ).fetchall()
