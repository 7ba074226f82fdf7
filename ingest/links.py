"""Tracked links: validate refs and page names, build m.me URLs, keep the `tracked_links` registry.

Registering a ref re-labels the contacts it already brought in (a QR ref turns their
`m_me_link` into `qr_code`), so no re-ingest is needed. Every refusal names the rule it broke.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlsplit

import duckdb

from . import attribute
from .errors import ValidationError

# Meta allows refs up to 2,083 URL-encoded characters of [A-Za-z0-9_=-]; 250 keeps every ref
# safe in any QR code and spreadsheet.
# https://developers.facebook.com/documentation/business-messaging/messenger-platform/discovery/m-me-links
REF_RULE = "a ref uses only A-Z a-z 0-9 _ - = and has 1 to 250 characters"
# Facebook's username guidelines: letters, digits and periods, at least 5 characters, no
# extension such as .com; at least one letter (all digits is a page id); 50 at most.
# https://www.facebook.com/help/105399436216001
PAGE_RULE = (
    "a page is a Facebook username (5 to 50 letters, digits and periods, with at least one "
    "letter and no .com or .net ending) or a numeric page id"
)
_REF = re.compile(r"[A-Za-z0-9_=-]{1,250}")
_USERNAME = re.compile(r"(?=.*[A-Za-z])(?!.*\.(?:com|net)$)[A-Za-z0-9.]{5,50}", re.IGNORECASE)
_PAGE_ID = re.compile(r"[0-9]+")
LINK_CHANNELS = {"link": "m_me_link", "qr": "qr_code"}


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

    @property
    def url(self) -> str:
        if self.base_url:
            # The page rides along: a ref another page registers later leaves printed codes
            # resolvable (without it, the redirect would have two targets to choose from).
            qr = "1" if self.channel == "qr_code" else "0"
            ref, page = quote(self.ref, safe=""), quote(self.page, safe="")
            return f"{self.base_url.rstrip('/')}/r/{ref}?page={page}&qr={qr}"
        return f"https://m.me/{self.page}?ref={quote(self.ref, safe='')}"

    def attributes(self) -> tuple[str, str | None, str | None, str | None]:
        return (self.channel, self.campaign, self.placement, self.notes)


def check_ref(ref: str) -> str:
    if not _REF.fullmatch(ref):
        raise ValidationError(f"invalid ref {ref[:60]!r}: {REF_RULE}")
    return ref


def check_page(page: str) -> str:
    if _PAGE_ID.fullmatch(page) or _USERNAME.fullmatch(page):
        return page
    raise ValidationError(f"invalid page {page[:60]!r}: {PAGE_RULE}")


def check_base_url(url: str) -> str:
    """A redirect server's address: http(s), a host, nothing a QR scanner could trip on."""
    parts = urlsplit(url)
    usable = parts.scheme in ("http", "https") and parts.hostname and not re.search(r"\s", url)
    if not usable or parts.query or parts.fragment:
        raise ValidationError(
            f"invalid redirect address {url[:80]!r}: give http(s)://host[:port][/path], "
            "with no spaces, query or fragment"
        )
    return url


def check_channel(channel: str) -> str:
    if channel in LINK_CHANNELS:
        return LINK_CHANNELS[channel]
    if channel in LINK_CHANNELS.values():
        return channel
    raise ValidationError(f"invalid channel {channel!r}: use link or qr")


def slug(text: str) -> str:
    """Lower-case ASCII words joined by underscores: 'Store #12' → 'store_12'."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "_", ascii_text.lower()).strip("_")


def conventional_ref(campaign: str | None, placement: str | None, month: dt.date) -> str:
    """The naming convention: campaign-placement-YYYY_MM, each part slugged."""
    parts = [slug(p) for p in (campaign, placement) if p and slug(p)]
    if not parts and (campaign or placement):
        raise ValidationError(
            f"cannot build a ref from {campaign or placement!r}: a ref is made of its letters "
            "and digits A-Z 0-9, and it has none; give a ref"
        )
    if not parts:
        raise ValidationError("without a ref, give a campaign and/or a placement to build one")
    return check_ref("-".join([*parts, month.strftime("%Y_%m")])[:250])


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
    """A validated Link; builds the ref from the naming convention when none is given."""
    page = check_page(page.strip())
    if base_url:
        check_base_url(base_url)
    if ref is None or not ref.strip():
        ref = conventional_ref(campaign, placement, today or dt.date.today())
    return Link(
        ref=check_ref(ref.strip()),
        page=page,
        channel=check_channel(channel),
        campaign=campaign or None,
        placement=placement or None,
        notes=notes or None,
        base_url=base_url or None,
    )


def register(con: duckdb.DuckDBPyConnection, links: Iterable[Link]) -> list[Link]:
    """Add links to the registry and re-label existing contacts; return the new ones.

    The same attributes again are a no-op; a ref already registered for the page with other
    attributes is refused, and then nothing at all is written.
    """
    links = list(links)
    existing = {
        (page.lower(), ref): (channel, campaign, placement, notes)
        for ref, page, channel, campaign, placement, notes in con.execute(
            "SELECT ref, page, channel, campaign, placement, notes FROM tracked_links"
        ).fetchall()
    }
    new: list[Link] = []
    for link in links:
        key = (link.page.lower(), link.ref)
        if key in existing:
            if existing[key] != link.attributes():
                raise ValidationError(
                    f"ref {link.ref!r} is already registered for page {link.page!r} with other "
                    "attributes: a ref means one thing per page"
                )
            continue
        existing[key] = link.attributes()
        new.append(link)
    if not new:
        return []
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    con.execute("BEGIN TRANSACTION")
    try:
        con.executemany(
            "INSERT INTO tracked_links VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [[x.ref, x.page, x.channel, x.campaign, x.placement, x.notes, x.url, now] for x in new],
        )
        relabel(con)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return new


RELABEL = """
UPDATE {table} t SET channel = CASE WHEN {is_qr} THEN 'qr_code' ELSE 'm_me_link' END
WHERE t.channel IN ('m_me_link', 'qr_code') AND upper(t.source) IN {sources}
"""


def relabel(con: duckdb.DuckDBPyConnection) -> None:
    """Recompute m.me link / QR code channels of events, touches and contacts from the registry."""
    attribute.install_macros(con)
    attribute.refresh_qr_refs(con)
    for table in ("events", "touches", "contacts"):
        con.execute(
            RELABEL.format(
                table=table,
                is_qr=attribute.IS_QR.format(t="t"),
                sources=repr(attribute.SHORTLINK_SOURCES),
            )
        )


def learn_page(con: duckdb.DuckDBPyConnection, page_id: str, username: str | None,
               name: str | None) -> None:  # fmt: skip
    """Map a numeric page id to its username (what m.me links carry) and display name; what is
    given replaces the stored value, what is None keeps it."""
    check_page(page_id)
    if not _PAGE_ID.fullmatch(page_id):
        raise ValidationError(f"invalid page id {page_id!r}: a page id is numeric")
    if username:
        check_page(username)
    con.execute(
        """INSERT INTO pages VALUES ($id, $username, $name) ON CONFLICT (page_id) DO UPDATE
           SET username = coalesce($username, username), name = coalesce($name, name)""",
        {"id": page_id, "username": username, "name": name},
    )
    relabel(con)


@dataclass
class ImportReport:
    links: list[Link] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # "line N: rule"


IMPORT_COLUMNS = ("page", "ref", "channel", "campaign", "placement", "notes")


def read_csv(path: Path, base_url: str | None = None, today: dt.date | None = None) -> ImportReport:
    """Check every row of a links CSV; the report lists each bad row with its line and rule."""
    report = ImportReport()
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ValidationError(f"{path}: cannot read: {exc}") from exc
    rows = csv.DictReader(text.splitlines())
    missing = {"page"} - set(rows.fieldnames or ())
    if missing:
        raise ValidationError(f"{path}: the header needs a 'page' column (columns: "
                              f"{', '.join(IMPORT_COLUMNS)})")  # fmt: skip
    seen: dict[tuple[str, str], int] = {}
    for line, row in enumerate(rows, start=2):
        try:
            link = make_link(
                page=(row.get("page") or "").strip(),
                ref=row.get("ref") or None,
                channel=(row.get("channel") or "link").strip(),
                campaign=row.get("campaign") or None,
                placement=row.get("placement") or None,
                notes=row.get("notes") or None,
                base_url=base_url,
                today=today,
            )
        except ValidationError as exc:
            report.errors.append(f"line {line}: {exc}")
            continue
        key = (link.page.lower(), link.ref)
        if key in seen:
            report.errors.append(f"line {line}: ref {link.ref!r} repeats line {seen[key]}")
            continue
        seen[key] = line
        report.links.append(link)
    return report


def list_links(con: duckdb.DuckDBPyConnection) -> list[tuple[object, ...]]:
    return con.execute(
        """SELECT ref, page, channel, campaign, placement, url, created_at FROM tracked_links
           ORDER BY created_at, page, ref"""
    ).fetchall()
