"""The test server of `refscope pull logs`: a real HTTP server on 127.0.0.1 with Range
support, ETag and Last-Modified, gzip, redirects and failures on demand; the log lines it serves;
the fixtures (`site`, and `fast_retries`, used by every pull logs test module); and the command
run by the test runner (`pull_cli`)."""

from __future__ import annotations

import gzip
import hashlib
import json
import select
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from dashboard import queries
from ingest import db
from ingest.cli import cli
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
    # Each answer with a body takes the next: it sends that many bytes of its body, then hangs
    # up (as a proxy or a flaky link that cuts a download), and on_cut is called
    cuts: list[int] = field(default_factory=list)
    on_cut: Callable[[], None] | None = None  # e.g. the file replaced between cut and resume
    chunked: bool = False  # bodies sent chunked (HTTP/1.1), not with a Content-Length
    if_range: bool = True  # an If-Range naming another version gets the whole file (a 200)
    etag: bool = True  # an ETag (without it and last_modified: no validator at all)
    weak_etag: bool = False  # the ETag marked weak (W/)
    part_validators: bool = True  # a 206 says its ETag / Last-Modified (RFC 9110 §15.3.7)
    bare_parts: int = 0  # the next this many 206s say no Content-Range (misbehaving)
    part_cap: int = 0  # when set: a 206 holds at most this many bytes (as some CDNs send)
    # when set: a 206's Content-Range, from {first}, {last} and {total} (a misbehaving server)
    part_range: str = ""
    trickle: float = 0.0  # when set: a body is sent a byte at a time, this many seconds apart
    # answer this many requests only after `stall` seconds (a hung server); one whose client
    # hangs up first is not answered, and its thread ends then
    stall_next: int = 0
    stall: float = 0.0
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
            if site.stall_next:
                site.stall_next -= 1
                if self._hung_up_within(site.stall):
                    return  # the client gave up waiting: no one to answer
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
            etag = ("W/" if site.weak_etag else "") + '"' + hashlib.md5(body).hexdigest() + '"'
            if self.headers.get("If-None-Match") == etag:
                return self._send(304, b"", {"ETag": etag})
            validator = {"ETag": etag} if site.etag else {}
            if site.last_modified:
                validator = {"Last-Modified": site.last_modified}
                if self.headers.get("If-Modified-Since") == site.last_modified:
                    return self._send(304, b"", validator)
            rng = self.headers.get("Range")
            if_range = self.headers.get("If-Range")
            if if_range is not None and site.if_range and if_range not in validator.values():
                rng = None  # another version than the one the part is asked of: all of this one
            if rng and site.ranges:
                start = int(rng.removeprefix("bytes=").rstrip("-"))
                if start >= len(body):
                    size = {"Content-Range": f"bytes */{len(body)}"} if site.range_total else {}
                    return self._send(416, b"", size)
                part = body[start : start + site.part_cap] if site.part_cap else body[start:]
                last = start + len(part) - 1
                cr = (site.part_range or "bytes {first}-{last}/{total}").format(
                    first=start, last=last, total=len(body)
                )
                said = {"Content-Range": cr} if not site.bare_parts else {}
                site.bare_parts = max(site.bare_parts - 1, 0)
                said.update(validator if site.part_validators else {})
                return self._send(206, part, {**said, **extra})
            return self._send(200, body, {**validator, **extra})

        def _hung_up_within(self, seconds: float) -> bool:
            """Wait `seconds`, or until the client hangs up first; whether it did."""
            until = time.monotonic() + seconds
            if not select.select([self.connection], [], [], seconds)[0]:
                return False
            if self.connection.recv(1, socket.MSG_PEEK) == b"":
                self.close_connection = True
                return True
            time.sleep(max(until - time.monotonic(), 0.0))  # bytes, not a hang-up: wait on
            return False

        def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
            cut = site.cuts.pop(0) if site.cuts and status in (200, 206) else None
            chunked = site.chunked and status in (200, 206)
            if chunked:
                self.protocol_version = "HTTP/1.1"  # chunked is HTTP/1.1's
            self.send_response(status)
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            if chunked:
                self.send_header("Transfer-Encoding", "chunked")
                self.send_header("Connection", "close")
            else:
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            sent = body[:cut]
            if chunked:
                for at in range(0, len(sent), 8192):
                    block = sent[at : at + 8192]
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(block), block))
                if cut is None:
                    self.wfile.write(b"0\r\n\r\n")
                site.sent += len(sent)
            elif site.trickle:  # each byte well within the client's read timeout
                for at in range(len(sent)):
                    self.wfile.write(sent[at : at + 1])
                    self.wfile.flush()
                    site.sent += 1
                    time.sleep(site.trickle)
            else:
                self.wfile.write(sent)
                site.sent += len(sent)
            if cut is not None:  # hang up before the body's end
                self.wfile.flush()
                self.close_connection = True
                if site.on_cut:
                    site.on_cut()

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


def stopped_mid_download(s: Site, url: str, db_file: Path, sig: int, after: int = 1000) -> None:
    """`refscope pull logs url` as a process of its own, sent sig once s (sending its answers a
    byte at a time: Site.trickle) has sent `after` bytes more, and waited for."""
    sent = s.sent
    cmd = [sys.executable, "-m", "ingest", "pull", "logs", url, "--db", str(db_file),
           "--no-progress"]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        end = time.monotonic() + 120
        while s.sent - sent < after and time.monotonic() < end and proc.poll() is None:
            time.sleep(0.05)
        assert proc.poll() is None and s.sent - sent >= after, "the download did not start"
        time.sleep(0.2)  # the bytes sent, received
        proc.send_signal(sig)
        proc.wait(timeout=60)
    finally:
        proc.kill()
        proc.wait()


def log_behind_credentials(site: tuple[Site, str], n: int = 2) -> str:
    """The site answering only a request with TOKEN, n lines at /log.ndjson: that log's URL."""
    s, base = site
    s.require_auth = True
    s.files["/log.ndjson"] = lines(0, n)
    return base + "/log.ndjson"


def pull_cli(
    runner: CliRunner, url: str, db_path: Path, *options: str, env: dict[str, str] | None = None
) -> Result:
    """`refscope pull logs URL [options] --db DB`, run by the test runner (env: its variables)."""
    return runner.invoke(cli, ["pull", "logs", url, *options, "--db", str(db_path)], env=env)


def pull_of_no_content(site: tuple[Site, str], path: str, runner: CliRunner, db_path: Path) -> None:
    """path answering 204 No Content, pulled: nothing new (exit 0), said so, nothing recorded
    as read and no download left behind."""
    s, base = site
    s.answers[path] = 204
    res = pull_cli(runner, base + path, db_path)
    assert res.exit_code == 0, res.output
    assert f"nothing new at {base}{path}" in res.output
    con = db.connect(db_path, read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM ingest_files").fetchall() == [(0,)]
    finally:
        con.close()
    assert list((db_path.parent / ".pull").iterdir()) == []


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
