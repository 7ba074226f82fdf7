"""The test server of `refscope pull logs`: a real HTTP server on 127.0.0.1 with Range
support, ETag and Last-Modified, gzip, redirects and failures on demand; the log lines it serves;
and the fixtures (`site`, and `fast_retries`, used by every pull logs test module)."""

from __future__ import annotations

import gzip
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest

from dashboard import queries
from ingest import db
from tests.factories import batch, entry, message
from tests.local_http import served

TOKEN = "Bearer s3cr3t-test-token"


@dataclass
class Site:
    """What the test server serves, and what it saw."""

    files: dict[str, bytes] = field(default_factory=dict)
    ranges: bool = True
    fail_next: int = 0  # answer this many requests with fail_status first
    fail_status: int = 503
    fail_headers: dict[str, str] = field(default_factory=dict)
    require_auth: bool = False
    range_total: bool = True  # a 416 says the size (Content-Range: bytes */size)
    # gzip the answer when the request accepts it; a Range then counts the gzipped bytes (the
    # representation's, RFC 9110 §14), as a server with precompressed files does
    gzip_encoding: bool = False
    redirects: dict[str, str] = field(default_factory=dict)  # path → Location
    content_types: dict[str, str] = field(default_factory=dict)  # path → Content-Type
    gzip_always: bool = False  # gzip also an answer to a request asking for identity (misbehaving)
    last_modified: str = ""  # when set: a Last-Modified (no ETag), If-Modified-Since honoured
    date: str = ""  # when set: the Date of every answer (default: the time it is sent)
    answers: dict[str, int] = field(default_factory=dict)  # path → a status answered bodiless
    requests: list[dict[str, str]] = field(default_factory=list)
    sent: int = 0  # body bytes sent


def make_handler(site: Site) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def date_time_string(self, timestamp: float | None = None) -> str:
            return site.date or super().date_time_string(timestamp)

        def handle_one_request(self) -> None:
            # A client that hangs up early (a pull that stops reading, a refused answer) is no
            # fault of the server's: no BrokenPipeError or ConnectionResetError traceback.
            try:
                super().handle_one_request()
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True

        def do_GET(self) -> None:  # noqa: N802 (the stdlib's name)
            site.requests.append(dict(self.headers))
            if site.fail_next:
                site.fail_next -= 1
                return self._send(site.fail_status, b"busy", site.fail_headers)
            if site.require_auth and self.headers.get("Authorization") != TOKEN:
                return self._send(401, b"no")
            if self.path in site.answers:
                return self._send(site.answers[self.path], b"")
            target = site.redirects.get(self.path.partition("?")[0])
            if target:
                return self._send(302, b"", {"Location": target})
            body = site.files.get(self.path)
            if body is None:
                return self._send(404, b"missing")
            extra = {}
            accepted = "gzip" in self.headers.get("Accept-Encoding", "")
            if site.gzip_always or (site.gzip_encoding and accepted):
                body = gzip.compress(body, mtime=0)
                extra = {"Content-Encoding": "gzip", "Vary": "Accept-Encoding"}
            if self.path in site.content_types:
                extra["Content-Type"] = site.content_types[self.path]
            etag = '"' + hashlib.md5(body).hexdigest() + '"'
            if self.headers.get("If-None-Match") == etag:
                return self._send(304, b"", {"ETag": etag})
            validator = {"ETag": etag}
            if site.last_modified:
                validator = {"Last-Modified": site.last_modified}
                if self.headers.get("If-Modified-Since") == site.last_modified:
                    return self._send(304, b"", validator)
            rng = self.headers.get("Range")
            if rng and site.ranges:
                start = int(rng.removeprefix("bytes=").rstrip("-"))
                if start >= len(body):
                    size = {"Content-Range": f"bytes */{len(body)}"} if site.range_total else {}
                    return self._send(416, b"", size)
                part = body[start:]
                cr = f"bytes {start}-{len(body) - 1}/{len(body)}"
                return self._send(206, part, {"Content-Range": cr, **validator, **extra})
            return self._send(200, body, {**validator, **extra})

        def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
            self.send_response(status)
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            site.sent += len(body)

    return Handler


@pytest.fixture
def site() -> Iterator[tuple[Site, str]]:
    s = Site()
    with served(make_handler(s)) as base:
        yield s, base


def lines(start: int, n: int) -> bytes:
    out = [
        json.dumps(batch(entry(message(f"m{i}", psid=str(9000 + i), ts=1_700_000_000_000 + i))))
        for i in range(start, start + n)
    ]
    return ("\n".join(out) + "\n").encode()


@pytest.fixture
def fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("ingest.fetch.BACKOFF_SECONDS", 0.0)


def run_totals(db_path: Path) -> tuple[int, int, int]:
    """The runs' lines, events and rejects, as the dashboard adds them up."""
    con = db.connect(db_path, read_only=True)
    try:
        totals = queries.ingest_totals(con).iloc[0]
    finally:
        con.close()
    return totals["lines"], totals["events"], totals["rejects"]
