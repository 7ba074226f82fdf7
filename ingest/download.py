"""One download of `pull logs`: a GET streamed into a spool file on disk (never held in memory),
retried with backoff on 5xx, 408 and 429 answers and connection errors. An answer cut before its
end (a proxy or a flaky link that hangs up) is asked on from its bytes already spooled, with a
Range and an If-Range naming its version, so a file replaced meanwhile is never spliced to it;
where that cannot be (a Content-Encoding, a server that sends the whole file or another
version), the answer is asked anew. A part that stops short of the file's end (a server or CDN
that caps ranges) is read on from where it ends. A version that changed (a live log the server
appends to), or one no If-Range can name (no strong validator), is gone on in from OVERLAP
bytes before the cut when those are the bytes spooled, as a later pull's Range proves a log
grew. A download is given up after `retries` attempts in a row that bring no new byte to resume
from. Header values (tokens) and the URL's user info and query never appear in messages (name
is the URL without them)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from .download_kept import claim, drop, kept_if_stopped, note, request_key
from .download_part import OVERLAP, Part
from .errors import SourceError
from .http_failures import headers_left_behind, not_retried
from .http_headers import (
    SNIFF_BYTES,
    content_length,
    content_range,
    encoded,
    html_start,
    part_problem,
    retry_after,
    undecodable,
    unsatisfied_size,
)

SPOOL_PREFIX = "refscope-pull-"
BUSY = (408, 429)  # a request timeout and "too many requests": worth another try
# By status and whether headers (REFSCOPE_PULL_HEADERS, --header) were sent (RFC 9110 §15.5.2,
# §15.5.4). Credentials go in the environment: --header's are shown by `ps`.
_CLEAR = {
    (401, False): "the server wants credentials (HTTP 401): set them in REFSCOPE_PULL_HEADERS "
    "('Authorization: ...', one header a line)",
    (401, True): "the server refused the credentials given with REFSCOPE_PULL_HEADERS or "
    "--header (HTTP 401): check them (they are not shown)",
    (403, False): "the server refused access (HTTP 403), and no header was given: set the "
    "credentials it needs in REFSCOPE_PULL_HEADERS ('Authorization: ...', one header a line)",
    (403, True): "the server refused access with the credentials given with "
    "REFSCOPE_PULL_HEADERS or --header (HTTP 403): check them (they are not shown)",
}


def _private(path: str, flags: int) -> int:
    """Open a spool file readable by this account and its group only, as the receiver's logs
    are: it holds the people's messages."""
    return os.open(path, flags, 0o640)


@dataclass(frozen=True)
class Deadline:
    """When a pull's downloads must have ended (`pull logs --deadline`): a server that trickles
    its bytes, each within the read timeout, would otherwise keep a cron job running for ever."""

    at: float  # on time.monotonic()'s clock
    seconds: float  # as given, for the message

    @classmethod
    def after(cls, seconds: float) -> Deadline:
        return cls(time.monotonic() + seconds, seconds)

    def left(self) -> float:
        return self.at - time.monotonic()


@dataclass
class Download:
    """GETs of url into spool files in spool_dir, retried (see the module's docstring)."""

    # Never in a repr (a traceback, a log record): the URL's user info or query and the
    # headers may hold credentials.
    url: str = field(repr=False)
    name: str
    headers: dict[str, str] = field(repr=False)
    client: httpx.Client
    spool_dir: Path
    sleep: Callable[[float], None]
    on_bytes: Callable[[int, int | None], None] | None
    retries: int
    backoff: float
    _part: Part | None = field(default=None, repr=False)  # what a cut left to resume from
    _key: str = field(default="", repr=False)  # the request's, as download_kept knows it
    deadline: Deadline | None = None

    def get(self, extra: dict[str, str], raw: bool = False) -> tuple[int, Path, int, httpx.Headers]:
        """GET with retries into a spool file: (status, spool, bytes, the answer's headers; a
        resumed answer's are its first response's)."""
        spool = self.spool_dir / f"{SPOOL_PREFIX}{os.getpid()}-{time.monotonic_ns()}"
        self._key = request_key(self.name, extra, raw)
        # A killed or stopped pull's download of the same request, gone on from (download_kept).
        if (kept := claim(self.spool_dir, self._key, spool)) is not None:
            note(spool, self._key, kept)  # this pull's now, should it be killed too
        self._part = kept
        best, failures = 0, 0  # the furthest offset resumable from; attempts since it moved
        try:
            while True:
                self._in_time()
                try:
                    got = self._attempt(spool, extra, raw)
                    drop(spool)  # whole: no longer a download to go on from
                    return got
                except _Refused:
                    self._part = None  # not the rest of the part: the answer asked anew
                except _Changed:
                    pass  # asked again at once, from a little before the cut
                except _More:  # a part that stops short: progress, unless a fresh start's
                    end = self._part.end if self._part else 0
                    best, failures = (end, 0) if end > best else (best, failures + 1)
                    if failures == self.retries:
                        more = _Retry("its parts came again from the file's start")
                        raise SourceError(self._giving_up(more, best)) from None
                except (httpx.UnsupportedProtocol, httpx.InvalidURL, httpx.TooManyRedirects,
                        httpx.DecodingError) as exc:  # fmt: skip
                    # Not worth retrying: a bad URL or redirect, a body that cannot be decoded.
                    raise SourceError(f"{self.name}: {type(exc).__name__}: {exc}") from None
                except (httpx.TransportError, _Retry) as exc:
                    if refused := not_retried(exc):
                        raise SourceError(f"{self.name}: {refused}") from None
                    part = self._part
                    if part is not None and not part.prove_after_cut():
                        if not part.validator or not part.size:
                            part = self._part = None  # its bytes cannot be gone on from
                    if part is not None and part.end > best:
                        best, failures = part.end, 0  # a step further: not a failure
                    else:
                        failures += 1
                    if failures == self.retries:
                        raise SourceError(self._giving_up(exc, best)) from None
                    wait = self.backoff * 2 ** max(failures - 1, 0)
                    wait = max(wait, exc.after if isinstance(exc, _Retry) else 0.0)
                    self._in_time(wait)  # a wait past the deadline is not begun
                    self.sleep(wait)
        except OSError as exc:
            spool.unlink(missing_ok=True)
            drop(spool)
            if exc.filename is not None:
                raise
            # A full disk fails a write, whose error names no file.
            raise SourceError(f"{self.name}: cannot keep the download in {self.spool_dir}: "
                              f"{exc.strerror or exc}") from exc  # fmt: skip
        except BaseException as exc:
            if not kept_if_stopped(spool, exc):  # Ctrl-C: kept for the next pull to go on
                spool.unlink(missing_ok=True)
            raise

    def _in_time(self, wait: float = 0.0) -> None:
        """Raise SourceError once the deadline is passed (or would be, after wait seconds)."""
        if self.deadline is not None and self.deadline.left() < wait:
            raise SourceError(
                f"{self.name}: the download did not end within {duration(self.deadline.seconds)} "
                "(--deadline); nothing of it is kept, and the next pull asks for it again (a "
                "server that sends its bytes slowly: give a longer --deadline)"
            )

    def _giving_up(self, exc: Exception, best: int) -> str:
        why = str(exc) if isinstance(exc, _Retry) else f"{type(exc).__name__} {exc}"
        if not best:
            return f"{self.name}: giving up after {self.retries} attempts: {why}"
        return (f"{self.name}: giving up after {self.retries} attempts in a row that brought no "
                f"new bytes (the download had come to byte {best:,}): {why}")  # fmt: skip

    def _attempt(
        self, spool: Path, extra: dict[str, str], raw: bool
    ) -> tuple[int, Path, int, httpx.Headers]:
        part = self._part
        if part is not None:  # the rest of the version cut, asked as its own bytes (identity)
            extra = {"Range": f"bytes={part.end - part.back}-", "Accept-Encoding": "identity"}
            if not part.back:  # a proof of growth is asked of whatever version is there now
                extra["If-Range"] = part.validator
        with self.client.stream("GET", self.url, headers={**self.headers, **extra}) as r:
            if r.status_code >= 500 or r.status_code in BUSY:
                raise _Retry(f"HTTP {r.status_code}", retry_after(r.headers))
            if r.status_code >= 400 and r.status_code != 416:
                why = _CLEAR.get((r.status_code, bool(self.headers)),
                                 f"the server answered HTTP {r.status_code}")  # fmt: skip
                why = "no log at this URL" if r.status_code == 404 else why
                if r.status_code in (401, 403):  # the credentials given were not sent?
                    why = headers_left_behind(self.url, r, self.headers) or why
                raise SourceError(f"{self.name}: {why}")
            if r.status_code == 206 and (problem := part_problem(r.headers)):
                raise SourceError(f"{self.name}: the server's Content-Range {problem}; nothing "
                                  "of it was read")  # fmt: skip
            if part is not None and part.back:
                if not part.proves_growth(r):
                    raise _Refused  # not even the bytes before the cut: a file replaced
                before, proof = part.size, self._tail(spool, part.back)
                self._spool(r, spool, part, raw, proof=proof)
                if part.back:
                    raise _Refused  # it ended within the bytes asked again
                return self._done(r, spool, part, part.size - before + len(proof))
            if part is not None and r.status_code != 200:
                if r.status_code == 416 and unsatisfied_size(r.headers) == part.end:
                    return part.status, spool, part.size, part.answer()  # all came but its end
                if not part.goes_on_in(r):
                    if part.grown(r):  # a live log grown (a server without If-Range)?
                        part.back = min(OVERLAP, part.size)
                        raise _Changed
                    raise _Refused  # another version's part (a server without If-Range)...
            if part is not None and r.status_code == 200 and part.grown(r):
                part.back = min(OVERLAP, part.size)  # If-Range failed: grown, or replaced?
                raise _Changed
            if part is None or r.status_code == 200:  # a 200: the whole file, of any version
                part = self._part = Part.of(r)
            before = part.size
            self._spool(r, spool, part, raw)
            return self._done(r, spool, part, part.size - before)

    def _done(
        self, r: httpx.Response, spool: Path, part: Part, came: int
    ) -> tuple[int, Path, int, httpx.Headers]:
        """What get returns once r's body (came bytes) is spooled; _More when r is a part that
        stops short of the file's end: read on from its end, in the same version."""
        got = content_range(r.headers) if r.status_code == 206 else None
        first, last, total = got or (0, 0, None)
        # A 200; a 206 that said no part (taken as the one asked for); one in a Content-Encoding
        # (of no use to read on: refused by the pull, which fetches the file whole).
        if total is None or encoded(r.headers):
            return part.status, spool, part.size, part.answer()
        if came != last - first + 1:  # a chunked body of another length than said
            raise SourceError(f"{self.name}: the server's Content-Range (bytes {first}-{last}/"
                              f"{total}) does not hold together with a body of {came:,} bytes; "
                              "nothing of it was read")  # fmt: skip
        if part.end >= total:
            return part.status, spool, part.size, part.answer()
        part.total = total if part.total is None else part.total
        if not part.validator:  # no version to name: its last bytes asked again prove it
            part.back, part.unversioned = min(OVERLAP, part.size), True
        raise _More

    @staticmethod
    def _tail(spool: Path, n: int) -> bytes:
        """The last n bytes spooled."""
        with open(spool, "rb") as fh:
            fh.seek(-n, os.SEEK_END)
            return fh.read(n)

    def _spool(
        self, r: httpx.Response, spool: Path, part: Part, raw: bool, proof: bytes = b""
    ) -> None:
        """r's body written to spool, after the bytes of part spooled before it; a body that
        starts with proof (the last bytes spooled, asked again) is gone on in past them, one
        that does not is refused."""
        before, proved = part.size, len(proof)
        with open(spool, "ab" if before else "wb", opener=_private) as fh:
            if not before:  # its bytes from the start: what a killed pull's next goes on from
                note(spool, self._key, part)
            if r.status_code not in (200, 206):
                return
            # A .gz stays compressed (raw); Content-Encoding is undone otherwise. An encoded
            # part of a range is kept raw too: plain() refuses it. Each block is written as it
            # comes, so a cut keeps what came before it.
            keep = raw or (r.status_code == 206 and encoded(r.headers))
            if not keep and (coding := undecodable(r.headers, self.client.headers.get(
                    "accept-encoding", ""))):  # fmt: skip
                raise SourceError(f"{self.name}: the server answered in Content-Encoding "
                                  f"{coding[:40]!r}, which refscope cannot decode; nothing was "
                                  "read")  # fmt: skip
            for block in r.iter_raw() if keep else r.iter_bytes():
                if proof:
                    head, block = block[: len(proof)], block[len(proof) :]
                    if head != proof[: len(head)]:
                        raise _Refused  # other bytes before the cut: not the log grown
                    proof = proof[len(head) :]
                    if proof:
                        continue
                    part.adopt(r)  # its later cuts are resumed in this version
                    note(spool, self._key, part)
                if part.lead is not None:
                    self._sniff(part, block)
                fh.write(block)
                fh.flush()  # on disk as it comes: a pull killed then keeps it, to go on from
                part.size += len(block)
                self._in_time()
                if self.on_bytes:  # the bytes so far, of the file's (or Content-Length's)
                    self.on_bytes(before - proved + r.num_bytes_downloaded,
                                  self._whole(r, part, before - proved))  # fmt: skip

    def _sniff(self, part: Part, block: bytes) -> None:
        """Refuse a web page by the first bytes of the answer, however few come at a time (a
        body sent slowly, or cut and resumed); told once they can tell, or past SNIFF_BYTES."""
        assert part.lead is not None
        part.lead += block[: SNIFF_BYTES - len(part.lead)]
        at_start = part.status == 200 or (part.own and part.start == 0)  # the file's first bytes
        told = html_start(part.headers, part.lead, at_start)
        if told:
            raise SourceError(f"{self.name}: the server answered with a web page (a login or "
                              "error page?), not a log; nothing was read")  # fmt: skip
        if told is False or len(part.lead) >= SNIFF_BYTES:
            part.lead = None

    @staticmethod
    def _whole(r: httpx.Response, part: Part, before: int) -> int | None:
        """The bytes the download comes to: from its start to the file's end, when said (a part
        that stops short of it is not the end); else before and r's Content-Length."""
        if part.total is not None and not encoded(r.headers):
            return part.total - part.start
        length = content_length(r.headers)
        return None if length is None else before + length


class _Retry(Exception):
    def __init__(self, message: str, after: float = 0.0) -> None:
        super().__init__(message)
        self.after = after  # what the server asked to wait, in seconds


class _Refused(Exception):
    """A resume's answer that is not the rest of the part cut."""


class _More(Exception):
    """A part that stops short of the file's end came whole: the next one is asked at once."""


class _Changed(Exception):
    """A resume's answer of another version than the one cut: asked again from OVERLAP bytes
    before the cut, without If-Range, to prove the log only grew."""


def duration(seconds: float) -> str:
    """90 → '90 s', 1800 → '30 min', 7200 → '2 h'."""
    for unit, size in (("h", 3600), ("min", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds / size:g} {unit}"
    return f"{seconds:g} s"
