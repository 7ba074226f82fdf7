"""The click side of the receiver: the tracked-links registry as the server sees it, the coarse
device class of a User-Agent, the click log line and the m.me redirect.

Never records an IP address or a full User-Agent. The registry is read through short read-only
connections and the last good copy is kept while the database is locked or missing.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, quote

import duckdb

from . import db
from .errors import DatabaseError, DatabaseLocked, ValidationError
from .link_rules import check_page, check_ref, username_key

log = logging.getLogger("refscope.receiver")

REGISTRY_REFRESH_SECONDS = 5.0  # a link registered in the dashboard works within seconds
REGISTRY_LOCK_WAIT = 0.5  # a click never waits long for an ingest holding the write lock
MISS_RECHECK_SECONDS = 0.5  # an unknown ref looks for a new registration at most this often

# Order matters: an iPhone's User-Agent also says "Mac OS X", an Android tablet's lacks "Mobile".
# WhatsApp's link-preview fetch ("WhatsApp/2.23.20.0 A") runs as the sender types a link; each
# Mastodon server a post reaches fetches its links' previews ("http.rb/5.1.1 (Mastodon/4.2.1").
# "(?<!cu)bot": the CUBOT phone brand is named outside the Android model too, by in-app browsers
# (Instagram's "Android (29/10; 480dpi; …; CUBOT; X30; …)", Telegram's, Facebook's FBMF/CUBOT)
# and UC Browser ("Android 9; en-US; CUBOT X19"); no crawler's name ends in "cubot".
# A fetcher that names where to reach its owner ("+http://naver.me/spd", "+mailto:...") is no
# person's browser, whatever it calls itself (Naver's Yeti, Google Sheets' link fetches), and
# neither is an HTTP library's default ("Go-http-client/1.1", "axios/1.6.2", "Java/17", and
# Android's own "Dalvik/2.1.0 (Linux; U; Android 11; …)", which an app fetching a link sends;
# likewise Dart's "Dart/3.2 (dart:io)" of a Flutter app, Deno's, Bun's, PHP's Guzzle, Postman,
# Censys's zgrab). Node's own fetch says only "node" (or "undici"), Ruby's Net::HTTP "Ruby".
# Google crawlers that name no bot, GoogleOther's smartphone one in a phone's words:
# https://developers.google.com/search/docs/crawling-indexing/google-common-crawlers
# Microsoft Office checks a link clicked in Word, Excel or PowerPoint, or in a message of
# Outlook, before it hands it to the browser, which then fetches it with its own User-Agent
# (Edge's "Edg/", "EdgA/", "EdgiOS/"): one person, two GETs. Office's check says
# "Microsoft Office Existence Discovery" (https://blogs.msdn.microsoft.com/vsofficedeveloper/2008/03/11/description-of-the-microsoft-office-existence-discovery-protocol-2/),
# "Microsoft Office Word 2014", "Microsoft Office/16.0 (…; Microsoft Outlook 16.0…; Pro)" or
# "Mozilla/4.0 (compatible; ms-office; MSOffice 16)". Teams', Skype's and Outlook's previews
# ("MicrosoftPreview", "SkypeUriPreview", "Microsoft Preview") say "preview". Outlook's own app on
# a phone ("Outlook-iOS/…", "Outlook-Android/…") is not named: its in-app browser is a person's.
# Viber fetches a link's preview as "Viber" (https://github.com/monperrus/crawler-user-agents/pull/275)
# and, from its iPhone app, through Apple's HTTP client: "Viber/20.9.0.8 CFNetwork/1410.0.3
# Darwin/22.6.0". A CFNetwork User-Agent without "Mozilla" is an iOS or macOS app's own request
# (NSURLSession's default), as Dalvik's is an Android app's: a browser or an app's web view, where
# a person opens a link, says "Mozilla/5.0 (iPhone; …) AppleWebKit/…" and no CFNetwork.
_BOT = re.compile(
    r"(?<!cu)bot|crawl|spider|slurp|facebookexternalhit|whatsapp|mastodon|embedly|iframely|preview|"
    r"googleother|google-inspectiontool|google-safety|mediapartners-google|"
    r"curl|wget|python|httpx|okhttp|headless|lighthouse|monitor|\+(?:https?:|mailto:)|"
    r"go-http-client|axios/|java/|apache-httpclient|libwww-perl|dalvik/|\b(?:dart|deno|bun)/|"
    r"guzzlehttp|postmanruntime|zgrab|^\s*(?:node|undici|ruby|viber(?:/[\d.]+)?)\s*$|"
    r"^(?!.*mozilla/).*\bcfnetwork/|"
    r"microsoft office|ms-?office|microsoft outlook",
    re.I,
)
# A security scanner says "scan" ("urlscan", "masscan"); so does the web view of a QR scanner app,
# which a person scans a code with ("... Mobile Safari/537.36 QRScannerApp/1.0"): on a phone or
# tablet it is no bot.
_SCANNER = re.compile(r"scan", re.I)
# An Android phone names its model ("Android 10; CUBOT X30)"): a brand such as CUBOT is no bot.
_ANDROID_MODEL = re.compile(r"(android [\d.]+;)[^;)]*", re.I)
_TABLET = re.compile(r"ipad|tablet|kindle|silk/|playbook|nexus (7|9|10)", re.I)
_MOBILE = re.compile(r"mobi|iphone|ipod|android|windows phone|blackberry|opera mini", re.I)
_DESKTOP = re.compile(r"windows nt|macintosh|mac os x|x11|linux|cros", re.I)
DEVICES = ("mobile", "tablet", "desktop", "bot", "other")


def device_class(user_agent: str | None) -> str:
    """mobile, tablet, desktop, bot or other: all that refscope keeps of a User-Agent."""
    ua = user_agent or ""
    if not ua.strip():
        return "other"
    named = _ANDROID_MODEL.sub(r"\1", ua)
    if _BOT.search(named) or (
        _SCANNER.search(named) and not (_MOBILE.search(ua) or _TABLET.search(ua))
    ):
        return "bot"
    if _TABLET.search(ua) or ("android" in ua.lower() and "mobile" not in ua.lower()):
        return "tablet"
    if _MOBILE.search(ua):
        return "mobile"
    if _DESKTOP.search(ua):
        return "desktop"
    return "other"


# Headers a browser sends on a prefetch or prerender, which nobody may follow (Chrome's
# Sec-Purpose and older Purpose, Firefox's X-Moz, Safari's X-Purpose), and the tokens that mean
# it: https://developer.mozilla.org/docs/Web/HTTP/Reference/Headers/Sec-Purpose
_SPECULATIVE = {
    "sec-purpose": {"prefetch", "prerender"},
    "purpose": {"prefetch", "prerender"},
    "x-moz": {"prefetch"},
    "x-purpose": {"preview", "prefetch"},
}
_TOKEN_SEPARATORS = re.compile(r"[;,]")


def speculative(headers: Mapping[str, str]) -> bool:
    """Whether a request is a browser's prefetch or prerender, not a visit (case-insensitive;
    a header's value split on `;` and `,`, as in `Sec-Purpose: prefetch;prerender`)."""
    for name, value in headers.items():
        tokens = _SPECULATIVE.get(name.lower())
        if tokens and any(t.strip().lower() in tokens for t in _TOKEN_SEPARATORS.split(value)):
            return True
    return False


def click_line(at_ms: int, ref: str, page: str, qr: bool, device: str) -> bytes:
    """One click log line, as the ingest's `clicks` table reads it."""
    doc = {"object": "refscope_click", "ts": at_ms, "ref": ref, "page": page, "qr": qr,
           "device": device}  # fmt: skip
    return json.dumps(doc, separators=(",", ":")).encode("ascii") + b"\n"


# ?qr= values that mean a scan: the 1 refscope writes, and the true a link edited by hand says
# (qr=true, qr=yes, qr=on) or a spreadsheet formula joining "&qr=" & TRUE writes (qr=TRUE).
QR_TRUE = frozenset({"1", "true", "yes", "on"})


def link_query(query: str) -> tuple[str | None, bool]:
    """The ?page= and whether ?qr= says a scan (QR_TRUE, in any case) of a /r/<ref> address's
    raw query (the last of each, as Starlette reads them), a `?` in it read as `&`: UTM
    parameters appended with a second `?` to a link that has a query (`…&qr=1?utm_source=flyer`)
    leave a scan a scan, and a page its page. Neither value holds a `?` (a page is letters,
    digits and periods; qr is a word such as 1 or true); an encoded one (`%3F`) stays in its
    value. An `&` written `&amp;` once too often in an HTML page or email leaves `amp;` before
    the name after it: `amp;qr` is qr."""
    params = {
        k.removeprefix("amp;"): v
        for k, v in parse_qsl(query.replace("?", "&"), keep_blank_values=True)
    }
    return params.get("page"), params.get("qr", "").lower() in QR_TRUE


def m_me_url(page: str, ref: str) -> str:
    """https://m.me/<page>?ref=<ref>, both URL-encoded (a valid page name is unchanged)."""
    return f"https://m.me/{quote(page, safe='')}?ref={quote(ref, safe='')}"


@dataclass(frozen=True)
class Target:
    """Where a ref leads: one registered (page, ref)."""

    ref: str
    page: str
    channel: str
    # Every name of its page, as username_key spells it: as registered, and its id or username
    # from `pages` (a username and the id it maps to are one page, as everywhere in refscope).
    names: frozenset[str] = frozenset()

    def named(self, page: str) -> bool:
        return username_key(page) in (self.names or {username_key(self.page)})


@dataclass(frozen=True)
class Resolution:
    """A ref resolved against the registry: a target, or why there is none."""

    target: Target | None
    problem: str | None = None  # "unknown_ref", "ambiguous_page", "registry_locked" or
    # "registry_unread"
    message: str = ""
    # the target is the request's own ?page=: the registry was locked, or never read
    unchecked: bool = False


def load_registry(path: Path, wait: float = REGISTRY_LOCK_WAIT) -> dict[str, tuple[Target, ...]]:
    """Every registered ref and its pages, through one short read-only connection."""
    con = db.connect(path, read_only=True, wait=wait)
    try:
        # Another program's DuckDB file: not_refscope, in one line, as the receiver logs it; one
        # that holds nothing: NoDataYet, no registry read, as with no database yet.
        with db.refscope_tables(con, path):
            links = "SELECT ref, page, channel FROM tracked_links ORDER BY page"
            rows = con.execute(links).fetchall()
            pages = con.execute("SELECT page_id, username FROM pages").fetchall()
    except duckdb.Error as exc:
        raise DatabaseError(f"{path}: cannot read tracked_links: {exc}") from exc
    finally:
        con.close()
    aliases: dict[str, set[str]] = {}  # a page's name → all of its names
    for page_id, username in pages:
        names = {username_key(n) for n in (page_id, username) if n}
        for name in names:
            aliases.setdefault(name, set()).update(names)
    out: dict[str, list[Target]] = {}
    for ref, page, channel in rows:
        key = username_key(page)
        page_names = frozenset(aliases.get(key, set()) | {key})
        out.setdefault(ref, []).append(Target(ref, page, channel, page_names))
    return {ref: tuple(targets) for ref, targets in out.items()}


def _file_state(path: Path) -> tuple[tuple[int, int] | None, ...]:
    """What changes when the database does: size and mtime of the file and of its WAL."""
    out: list[tuple[int, int] | None] = []
    for p in (path, path.with_name(path.name + ".wal")):
        try:
            st = p.stat()
        except OSError:
            out.append(None)
        else:
            out.append((st.st_size, st.st_mtime_ns))
    return tuple(out)


class Registry:
    """The tracked-links registry, cached and re-read at most every `refresh` seconds.

    A known ref is answered from the cache while a re-read runs in the background; an unknown
    one waits for a re-read (at most every MISS_RECHECK_SECONDS), so a new link works at once.
    """

    def __init__(
        self, path: Path | None, refresh: float = REGISTRY_REFRESH_SECONDS,
        wait: float = REGISTRY_LOCK_WAIT,
    ) -> None:  # fmt: skip
        self.path = path
        self.refresh_seconds = refresh
        self.wait = wait
        self.refs: dict[str, tuple[Target, ...]] = {}
        self.loaded_at: float | None = None  # wall-clock time of the last good load
        self.error: str | None = None  # why the last re-read failed (no secret in it)
        self.locked = False  # the last re-read failed because another process holds the file
        self._checked = -float("inf")  # monotonic time of the last attempt
        self._state: tuple[tuple[int, int] | None, ...] | None = None
        self._task: asyncio.Task[None] | None = None

    def _older_than(self, seconds: float) -> bool:
        return self.path is not None and time.monotonic() - self._checked >= seconds

    def start_refresh(self) -> asyncio.Task[None]:
        """Re-read the registry in a thread; one re-read at a time."""
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(asyncio.to_thread(self._refresh))
        return self._task

    async def refresh(self) -> None:
        await asyncio.shield(self.start_refresh())

    async def close(self) -> None:
        if self._task is not None:
            await self._task

    def _refresh(self) -> None:
        if self.path is None:
            return
        self._checked = time.monotonic()
        state = _file_state(self.path)
        if state == self._state and self.error is None:
            return  # unchanged: no need to take even a read lock
        try:
            self.refs = load_registry(self.path, self.wait)
        except Exception as exc:  # locked, missing, not DuckDB: keep the last good copy
            if self.error != str(exc) and self.loaded_at is None:
                log.warning(
                    "tracked links not read: %s; until they are, a link with ?page= "
                    "is redirected there unchecked, one without is refused",
                    exc,
                )
            elif self.error != str(exc):
                log.warning("tracked links not re-read, keeping the last good copy: %s", exc)
            self.error, self.locked = str(exc), isinstance(exc, DatabaseLocked)
            return
        self._state, self.error, self.locked, self.loaded_at = state, None, False, time.time()

    async def resolve(self, ref: str, page: str | None) -> Resolution:
        """The one target of ref (chosen by ?page= when the ref has several pages)."""
        known = self.refs.get(ref, ())
        # A miss also when ref is held for other pages only: registered for this one since.
        if not known or (page and not any(t.named(page) for t in known)):
            if self._older_than(min(self.refresh_seconds, MISS_RECHECK_SECONDS)):
                await self.refresh()  # cheap when the file is unchanged: two stat() calls
        elif self._older_than(self.refresh_seconds):
            self.start_refresh()
        targets = self.refs.get(ref, ())
        if page:
            targets = tuple(t for t in targets if t.named(page))
        if not targets and (self.locked or self.loaded_at is None):
            return _unchecked(ref, page, locked=self.locked)
        if not targets:
            where = f" for page {page[:100]!r}" if page else ""
            msg = f"ref {ref[:100]!r} is not registered{where} (see `refscope links list`)"
            return Resolution(None, "unknown_ref", msg)
        if len({t.names for t in targets}) > 1:
            pages = ", ".join(t.page for t in targets)
            return Resolution(
                None,
                "ambiguous_page",
                f"ref {ref[:100]!r} is registered for several pages ({pages}): add ?page=<page>",
            )
        # One page, maybe registered under its id and under its username: the spelling asked
        # for, else the first.
        asked = [t for t in targets if page and username_key(t.page) == username_key(page)]
        return Resolution((asked or list(targets))[0])

    def health(self) -> dict[str, object]:
        """What /healthz says of the registry: whether one is read, and whether its last
        re-read worked. Never where the file lives (a health check is often public, a load
        balancer's): the error names the database by its file name; the log keeps it whole."""
        return {
            "configured": self.path is not None,
            "refresh_seconds": self.refresh_seconds,
            "read": self.loaded_at is not None,  # false: no ref is known, none called unknown
            "refs": len(self.refs),
            "loaded_at": self.loaded_at,
            "error": _without_folders(self.error, self.path),
        }


def _without_folders(error: str | None, path: Path | None) -> str | None:
    """error with each spelling of path's location (as given, absolute, resolved) cut to the
    file's name."""
    if error is None or path is None:
        return error
    spellings = {os.fspath(path), os.fspath(path.absolute())}
    with contextlib.suppress(OSError, RuntimeError):
        spellings.add(os.fspath(path.resolve()))
    for spelling in sorted(spellings, key=len, reverse=True):  # the longest first
        if spelling != path.name:
            error = error.replace(spelling, path.name)
    return error


def _unchecked(ref: str, page: str | None, *, locked: bool) -> Resolution:
    """A ref the cached registry does not hold, while another process locks the database, or
    while no registry has been read at all (no database at --db on this host, or one that cannot
    be opened: a receiver scaled out to another machine): it may well be registered, so it is
    not called unregistered. A link that names its page (as `links create --via-redirect` writes
    them) goes there, when ref and page follow the rules; one without, nowhere."""
    try:
        check_ref(ref)
        if page:
            check_page(page)
    except ValidationError as exc:
        return Resolution(None, "unknown_ref", f"{exc} (see `refscope links list`)")
    if page:
        return Resolution(Target(ref, page, ""), unchecked=True)
    if locked:
        return Resolution(
            None,
            "registry_locked",
            f"the tracked links cannot be read now (the database is locked by another "
            f"process), so where ref {ref[:100]!r} leads is not known yet: try again in a few "
            f"seconds",
        )
    return Resolution(
        None,
        "registry_unread",
        f"no tracked links have been read on this receiver (see /healthz), so where ref "
        f"{ref[:100]!r} leads is not known: a link made for a receiver without the database "
        f"names its page (/r/<ref>?page=<page>, as `refscope links create --via-redirect` "
        f"writes it)",
    )
