"""Pull an NDJSON log (or .gz) over HTTP with httpx, asking only for bytes not read before.

The body is streamed to a spool file on disk (never held in memory), then ingested like a local
file under the URL's name. A plain log is resumed with a `Range` request that starts a little
before the consumed offset: the overlap must match what was read last time, else the file was
replaced and is fetched whole (dedupe absorbs the repeat). A compressed log is fetched with a
conditional GET (ETag / Last-Modified) and, its text grown, read on from the offset. Header
values (tokens) never appear in messages.
"""

from __future__ import annotations

import contextlib
import re
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx

from .download import SPOOL_PREFIX, Deadline, Download
from .download_kept import running
from .errors import SourceError
from .http_failures import direct_to_this_machine
from .http_headers import conditional, encoded, range_start, validator
from .sources import FileState, Plan
from .spool_marks import (
    GZ_TAIL,
    TAIL,
    is_gzip,
    same,
    starts_as_ndjson,
    tail_fingerprint,
    text_marks,
    validator_part,
)
from .url_check import idna_mapped, url_problem

RETRIES = 5  # attempts in a row that bring a download no further (5xx, 408, 429, a cut...)
BACKOFF_SECONDS = 0.5
TIMEOUT = httpx.Timeout(30.0, connect=10.0)
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")  # a header name (RFC 9110 §5.1)


@dataclass(frozen=True)
class Pulled:
    plan: Plan | None  # None: nothing new
    status: int
    bytes: int


def safe_url(url: str) -> str:
    """The URL without user info or query string, fit for messages and the database; its host
    as check_url asks it (fullwidth letters as ASCII ones)."""
    with contextlib.suppress(ValueError):  # a URL check_url refuses: as given
        url = idna_mapped(url)
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"  # IPv6
    if parts.port:
        host += f":{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


# A spool file is written while it downloads and read by the ingest right after: one this old
# is a killed pull's (SIGKILL, the OOM killer), which its own cleanup never reached.
STALE_SPOOL_SECONDS = 24 * 3600


def sweep_spool(spool_dir: Path, now: float | None = None) -> int:
    """Delete killed pulls' downloads left in spool_dir; return how many."""
    cutoff = (time.time() if now is None else now) - STALE_SPOOL_SECONDS
    return _remove_downloads(spool_dir, lambda f: f.stat().st_mtime >= cutoff)


def remove_killed_pulls(spool_dir: Path) -> int:
    """Delete, whatever their age, the downloads in spool_dir of pulls no longer running (the
    process named in the file's name is gone: killed by SIGKILL, the OOM killer); return how
    many. `forget` calls it: such a file holds the log as the server sent it, the person's ids
    and words among them. A running pull's download is kept: its ingest leaves them out."""

    def alive(f: Path) -> bool:
        pid = f.name.removeprefix(SPOOL_PREFIX).partition("-")[0]
        return bool(re.fullmatch(r"[0-9]+", pid)) and running(int(pid))

    return _remove_downloads(spool_dir, alive)


def _remove_downloads(spool_dir: Path, kept: Callable[[Path], bool]) -> int:
    """Delete the downloads in spool_dir but those kept says to keep, with their notes (what
    the next pull goes on from: download_kept); return how many downloads."""
    gone = 0
    for f in spool_dir.glob(SPOOL_PREFIX + "*"):
        try:
            if f.is_file() and not kept(f):
                f.unlink()
                gone += "." not in f.name  # a download's name has no dot, a note's has
        except OSError:
            continue  # another pull removed it first, or it is not ours to remove
    return gone


def check_url(url: str) -> str:
    """Refuse what is not an http(s) URL with a host, before any request (no retries); else
    the URL to ask: its host as a browser reads it (url_check.idna_mapped)."""
    problem = url_problem(url)  # the URL itself is not shown: it may hold credentials
    if problem == "":
        raise SourceError(
            "pull logs needs an http:// or https:// URL with a host (and a valid port), "
            f"got one starting {url.partition(':')[0][:12]!r}"
        )
    if problem:
        raise SourceError(f"pull logs: the URL {problem}; not shown, as it may hold a credential")
    return idna_mapped(url)


def parse_headers(values: tuple[str, ...] | list[str], where: str = "--header") -> dict[str, str]:
    """--header values (or where's lines) as a dict. A refused one is named by its place, never
    quoted: any part of it (`Bearer s3cr…` without its colon, a name run into its value) may be
    a credential."""
    headers: dict[str, str] = {}
    for n, value in enumerate(values, 1):
        which = f"{where} #{n} of {len(values)}" if len(values) > 1 else where
        name, sep, rest = value.partition(":")
        if not sep or not name.strip():
            raise SourceError(f"{which}: a header is 'Name: value' (a name, a colon, a value); "
                              "not shown, as it may hold a credential")  # fmt: skip
        if _sendable(value) and not _TOKEN.fullmatch(name.strip()):
            # Refused here: httpx would refuse it on every retry, as if the server were down.
            raise SourceError(f"{which}: a header name is letters, digits and "
                              "!#$%&'*+-.^_`|~ only (no spaces); not shown, as it may hold a "
                              "credential")  # fmt: skip
        if not _sendable(value):
            raise SourceError(f"{which}: a header holds printable ASCII only (no accents, no "
                              "line breaks); not shown, as it may hold a credential")  # fmt: skip
        headers[name.strip()] = rest.strip()
    return headers


def _sendable(text: str) -> bool:
    """Printable ASCII (spaces allowed): what an HTTP header line can carry as it is."""
    return text.isascii() and text.isprintable()


def pull(
    url: str,
    state: FileState | None,
    headers: dict[str, str] | None = None,
    *,
    spool_dir: Path | None = None,
    client: httpx.Client | None = None,
    sleep: Callable[[float], None] = time.sleep,
    on_bytes: Callable[[int, int | None], None] | None = None,
    deadline: float | None = None,
) -> Pulled:
    """Download what is new at url into a spool file and plan its ingest (on_bytes(done, total):
    an answer's bytes so far and its Content-Length, counted across the resumes of a cut one;
    deadline: the seconds every download of it, retries and waits included, must end within)."""
    url = check_url(url)
    until = None if deadline is None else Deadline.after(deadline)
    own, mounts = client is None, direct_to_this_machine(url)  # this machine: never via a proxy
    client = client or httpx.Client(timeout=TIMEOUT, follow_redirects=True, mounts=mounts)
    puller = _Puller(url, dict(headers or {}), client, spool_dir or Path(tempfile.gettempdir()),
                     sleep, on_bytes, until)  # fmt: skip
    hook = _own_origin_only(url, set(headers or {}))
    client.event_hooks["request"].append(hook)
    try:
        if urlsplit(url).path.endswith(".gz"):
            return puller.whole_gz(state)
        return puller.plain(state)
    finally:
        client.event_hooks["request"].remove(hook)
        if own:
            client.close()


def _unless_unchanged(state: FileState | None) -> dict[str, str]:
    """The headers asking for the export only if it changed since the stored validator (a 304
    then: nothing new); none when a pull stopped part-way recorded it (mtime -1: the lines
    read so far, offsets.record), whose unread bytes are new even in an unchanged export."""
    if state is None or state.mtime_ns < 0:
        return {}
    return conditional(validator_part(state.head_hash))


def _own_origin_only(url: str, names: set[str]) -> Callable[[httpx.Request], None]:
    """A request hook that drops the user's headers (credentials, API keys) from a request a
    redirect sends to another origin: httpx drops only Authorization."""
    first = httpx.URL(url)
    origin = (first.scheme, first.host, first.port)
    lowered = {n.lower() for n in names}

    def hook(request: httpx.Request) -> None:
        if (request.url.scheme, request.url.host, request.url.port) != origin:
            for name in [k for k in request.headers if k.lower() in lowered]:
                del request.headers[name]

    return hook


@dataclass
class _Puller:
    # Never in a repr (a traceback, a log record): the URL's user info or query and the
    # headers may hold credentials.
    url: str = field(repr=False)
    headers: dict[str, str] = field(repr=False)
    client: httpx.Client
    spool_dir: Path
    sleep: Callable[[float], None]
    on_bytes: Callable[[int, int | None], None] | None = None
    deadline: Deadline | None = None

    @property
    def name(self) -> str:
        return safe_url(self.url)

    def plain(self, state: FileState | None) -> Pulled:
        # The tail's fingerprint, then the validator of the answer it was read from, if any.
        fingerprint = (state.head_hash if state else "").partition(" ")[0]
        tail = TAIL.fullmatch(fingerprint) if state else None
        if state is None or state.offset_done == 0 or tail is None:
            # A gzip export read whole last time is asked with its validator, as a .gz URL is.
            return self._whole(state, _unless_unchanged(state))
        overlap, digest = int(tail.group(1)), tail.group(2)
        start = state.offset_done - overlap
        # Offsets count the file's own bytes, so the range is asked of the identity encoding
        # (a range of a gzip-encoded answer would count compressed bytes): RFC 9110 §14.
        # Conditional too: a server that ignores Range sends an unchanged log as a 304.
        status, spool, size, answer = self._get(
            {"Range": f"bytes={start}-", "Accept-Encoding": "identity", **_unless_unchanged(state)}
        )
        if status == 304:
            spool.unlink(missing_ok=True)
            return Pulled(None, status, 0)
        if status == 416:
            # Not even the bytes before the offset are there: the file shrank, so it is a new
            # one (with or without a Content-Range saying its size); or the range was counted
            # in the bytes of a gzip encoding, shorter than the file's (S3 serves an object
            # stored gzip-encoded so), and the file fetched whole still holds them.
            spool.unlink(missing_ok=True)
            return self._whole(state, before=(start, overlap, digest))
        if status == 200:
            # Range ignored: this answer is the whole file already; no second download.
            return self._read_on_or_whole(spool, size, state, (start, overlap, digest), status)
        if status == 206 and not encoded(answer) and range_start(answer) in (start, None):
            if size >= overlap and same(spool, 0, overlap, digest):
                return self._planned(spool, size, state, skip=overlap, status=status)
        # The overlap differs (the file was replaced) or the part is not the one asked for (a
        # slice of a gzip stream: an object stored gzip-encoded, as S3 serves one).
        spool.unlink(missing_ok=True)
        return self._whole(state, before=(start, overlap, digest))

    def _whole(self, state: FileState | None, cond: dict[str, str] | None = None,
               before: tuple[int, int, str] | None = None) -> Pulled:  # fmt: skip
        """The file fetched whole (before: see _read_on_or_whole)."""
        status, spool, size, _ = self._get(cond or {})
        if status == 304 and cond:  # unchanged since it was read whole
            spool.unlink(missing_ok=True)
            return Pulled(None, status, 0)
        if status not in (200, 204):  # e.g. a redirect not followed: nothing usable
            spool.unlink(missing_ok=True)
            raise SourceError(f"{self.name}: the server answered HTTP {status} to a plain GET")
        if is_gzip(spool):
            # A gzip export at a URL without .gz (an /export endpoint, a redirect to a .gz):
            # read as one.
            return self._gz_planned(spool, size, state, status)
        return self._read_on_or_whole(spool, size, state, before, status)

    def _read_on_or_whole(self, spool: Path, size: int, state: FileState | None,
                          before: tuple[int, int, str] | None, status: int) -> Pulled:  # fmt: skip
        """A whole file's download planned: the same file grown (its bytes before the offset
        those read last time: before, as (start, length, md5)) is read on from the offset, as
        from a 206: read whole, its lines would come back as another file's (rejects counted
        again, insights as of now)."""
        if state is not None and before is not None and size >= state.offset_done:
            if same(spool, *before):
                return self._planned(spool, size, state, skip=state.offset_done, status=status)
        return self._planned(spool, size, state, skip=None, status=status)

    def _planned(
        self, spool: Path, size: int, state: FileState | None, skip: int | None, status: int
    ) -> Pulled:
        if skip is not None and state is not None:
            start, line = state.offset_done, state.lines_done
            fresh = size - skip
        else:
            start, line, fresh, skip = 0, 0, size, 0
        if fresh <= 0:
            spool.unlink(missing_ok=True)
            return Pulled(None, status, 0)
        old = state.head_hash.partition(" ")[0] if state else ""
        fingerprint = tail_fingerprint(spool, skip, start) or old
        if fingerprint and self._validator:  # asked for with the next Range, conditionally
            fingerprint += " " + self._validator
        plan = Plan(spool, start + fresh, 0, False, start, line, skip == 0 and state is not None,
                    name=self.name, read_from=skip, fingerprint=fingerprint)  # fmt: skip
        return Pulled(plan, status, fresh)

    def whole_gz(self, state: FileState | None) -> Pulled:
        cond = _unless_unchanged(state)
        # identity: the file's own bytes, not compressed again on the way (kept raw below).
        status, spool, size, _ = self._get({**cond, "Accept-Encoding": "identity"}, raw=True)
        if status != 200:  # 304: unchanged; 204: an export with nothing in it, as in _whole
            spool.unlink(missing_ok=True)
            if status in (204, 304):
                return Pulled(None, status, 0)
            raise SourceError(f"{self.name}: the server answered HTTP {status} to a plain GET")
        return self._gz_planned(spool, size, state, status)

    def _gz_planned(self, spool: Path, size: int, state: FileState | None, status: int) -> Pulled:
        # A .gz that came decompressed is read as it came: Cloud Storage transcodes a gzip object
        # stored with Content-Encoding: gzip for a request that does not accept gzip. Anything
        # else that is not gzip (a page of text at the export's URL) is no log at all.
        gz = is_gzip(spool)
        if not gz and not starts_as_ndjson(spool):
            spool.unlink(missing_ok=True)
            raise SourceError(
                f"{self.name}: cannot read: Not a gzipped file, nor NDJSON text; nothing was read"
            )
        # The text read last time, ending at its offset as it did then: the export grew (a
        # member appended, or compressed anew with more lines), read on from that offset.
        # Read whole, its lines came back as another file's (rejects counted again, insights
        # as of now over a later pull's).
        old = GZ_TAIL.fullmatch(state.head_hash.partition(" ")[0]) if state else None
        at = state.offset_done if state and old else 0
        marks = text_marks(spool, gz, at, int(old.group(1)) if old else 0)
        fingerprint = self._validator or f"size:{size}"
        if marks and marks.tail:
            fingerprint = f"{marks.tail} {fingerprint}"
        if state and old and marks and marks.before == old.group(2):
            if marks.length == at:  # the same lines compressed anew: nothing new
                spool.unlink(missing_ok=True)
                return Pulled(None, status, 0)
            plan = Plan(spool, size, 0, gz, at, state.lines_done, False, name=self.name,
                        read_from=at, fingerprint=fingerprint)  # fmt: skip
            return Pulled(plan, status, size)
        plan = Plan(spool, size, 0, gz, 0, 0, state is not None, name=self.name, read_from=0,
                    fingerprint=fingerprint)  # fmt: skip
        return Pulled(plan, status, size)

    _validator: str = ""

    def _get(
        self, extra: dict[str, str], raw: bool = False
    ) -> tuple[int, Path, int, httpx.Headers]:
        """GET with retries into a spool file: (status, spool, bytes, the answer's headers)."""
        got = Download(self.url, self.name, self.headers, self.client, self.spool_dir, self.sleep,
                       self.on_bytes, RETRIES, BACKOFF_SECONDS,
                       deadline=self.deadline).get(extra, raw)  # fmt: skip
        self._validator = validator(got[3])
        return got
