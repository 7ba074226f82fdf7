"""One download of `pull logs`: a GET streamed into a spool file on disk (never held in memory),
retried with backoff on 5xx, 408 and 429 answers and connection errors. Header values (tokens)
and the URL's user info and query never appear in messages (name is the URL without them)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from .errors import SourceError
from .http_failures import headers_left_behind, refused_certificate
from .http_headers import content_length, encoded, html_page, retry_after

SPOOL_PREFIX = "refscope-pull-"
BUSY = (408, 429)  # a request timeout and "too many requests": worth another try
STREAM_BLOCK = 1024 * 1024
_CLEAR = {
    401: "the server wants credentials (pass --header 'Authorization: ...')",
    403: "the server refused these credentials",
    404: "no log at this URL",
}


def _private(path: str, flags: int) -> int:
    """Open a spool file readable by this account and its group only, as the receiver's logs
    are: it holds the people's messages."""
    return os.open(path, flags, 0o640)


@dataclass
class Download:
    """GETs of url into spool files in spool_dir, each retried up to retries times."""

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

    def get(self, extra: dict[str, str], raw: bool = False) -> tuple[int, Path, int, httpx.Headers]:
        """GET with retries into a spool file: (status, spool, bytes, the answer's headers)."""
        for attempt in range(1, self.retries + 1):
            spool = self.spool_dir / f"{SPOOL_PREFIX}{os.getpid()}-{time.monotonic_ns()}"
            try:
                with self.client.stream("GET", self.url, headers={**self.headers, **extra}) as r:
                    if r.status_code >= 500 or r.status_code in BUSY:
                        raise _Retry(f"HTTP {r.status_code}", retry_after(r.headers))
                    if r.status_code >= 400 and r.status_code != 416:
                        why = _CLEAR.get(r.status_code, f"the server answered HTTP {r.status_code}")
                        if r.status_code in (401, 403):  # the credentials given were not sent?
                            why = headers_left_behind(self.url, r, self.headers) or why
                        raise SourceError(f"{self.name}: {why}")
                    size = 0
                    with open(spool, "wb", opener=_private) as fh:
                        if r.status_code in (200, 206):
                            # A .gz stays compressed (raw); Content-Encoding is undone otherwise.
                            # An encoded part of a range is kept raw too: plain() refuses it.
                            keep = raw or (r.status_code == 206 and encoded(r.headers))
                            blocks = (
                                r.iter_raw(STREAM_BLOCK) if keep else r.iter_bytes(STREAM_BLOCK)
                            )
                            for block in blocks:
                                if not size and html_page(r.headers, block):
                                    raise SourceError(
                                        f"{self.name}: the server answered with a web page "
                                        "(a login or error page?), not a log; nothing was read"
                                    )
                                fh.write(block)
                                size += len(block)
                                if self.on_bytes:  # the bytes so far, of Content-Length's
                                    self.on_bytes(r.num_bytes_downloaded, content_length(r.headers))
                    return r.status_code, spool, size, r.headers
            except (httpx.UnsupportedProtocol, httpx.InvalidURL, httpx.TooManyRedirects,
                    httpx.DecodingError) as exc:  # fmt: skip
                # Not worth retrying: a bad URL or redirect, a body that cannot be decoded.
                spool.unlink(missing_ok=True)
                raise SourceError(f"{self.name}: {type(exc).__name__}: {exc}") from None
            except (httpx.TransportError, _Retry) as exc:
                spool.unlink(missing_ok=True)
                if refused := refused_certificate(exc):
                    raise SourceError(f"{self.name}: {refused}") from None
                if attempt == self.retries:
                    why = str(exc) if isinstance(exc, _Retry) else f"{type(exc).__name__} {exc}"
                    raise SourceError(f"{self.name}: giving up after {self.retries} attempts: "
                                      f"{why}") from None  # fmt: skip
                wait = self.backoff * 2 ** (attempt - 1)
                self.sleep(max(wait, exc.after if isinstance(exc, _Retry) else 0.0))
            except OSError as exc:
                spool.unlink(missing_ok=True)
                if exc.filename is not None:
                    raise
                # A full disk fails a write, whose error names no file.
                raise SourceError(f"{self.name}: cannot keep the download in {self.spool_dir}: "
                                  f"{exc.strerror or exc}") from exc  # fmt: skip
            except BaseException:
                spool.unlink(missing_ok=True)
                raise
        raise AssertionError("unreachable")


class _Retry(Exception):
    def __init__(self, message: str, after: float = 0.0) -> None:
        super().__init__(message)
        self.after = after  # what the server asked to wait, in seconds
