"""`refscope pull logs`: a real HTTP server on 127.0.0.1 with Range support, and resumption."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ingest import fetch, pipeline, remote
from ingest.cli import cli
from ingest.errors import SourceError
from tests.factories import batch, entry, message

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
    answers: dict[str, int] = field(default_factory=dict)  # path → a status answered bodiless
    requests: list[dict[str, str]] = field(default_factory=list)
    sent: int = 0  # body bytes sent


def make_handler(site: Site) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

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
    server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(s))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield s, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def lines(start: int, n: int) -> bytes:
    out = [
        json.dumps(batch(entry(message(f"m{i}", psid=str(9000 + i), ts=1_700_000_000_000 + i))))
        for i in range(start, start + n)
    ]
    return ("\n".join(out) + "\n").encode()


def no_sleep(_: float) -> None:
    pass


@pytest.fixture(autouse=True)
def fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("ingest.fetch.BACKOFF_SECONDS", 0.0)


def test_second_pull_asks_only_for_new_bytes(site: Any, db_path: Path, query: Any) -> None:
    s, base = site
    s.files["/log.ndjson"] = lines(0, 50)
    first = remote.pull_logs(base + "/log.ndjson", {}, db_path)
    assert first is not None and first.events_added == 50
    sent_first = s.sent
    s.files["/log.ndjson"] += lines(50, 10)
    second = remote.pull_logs(base + "/log.ndjson", {}, db_path)
    assert second is not None and second.events_added == 10
    assert s.requests[-1]["Range"].startswith("bytes=")
    assert s.sent - sent_first < len(lines(50, 10)) + 4096 + 1  # new bytes + the overlap only
    # Nothing new: a 206 of the overlap alone (the Range starts 4 KiB before the end).
    assert remote.pull_logs(base + "/log.ndjson", {}, db_path) is None
    assert query.scalar("SELECT count(*) FROM events") == 60
    assert query.scalar("SELECT count(DISTINCT line_no) FROM events") == 60
    assert query.scalar("SELECT max(line_no) FROM events") == 60
    assert query.scalar("SELECT DISTINCT file FROM events") == base + "/log.ndjson"


def test_a_signed_url_whose_query_changes_still_asks_only_for_new_bytes(
    site: Any, db_path: Path, query: Any
) -> None:
    """The input is the URL without its query (a signature that changes with each pull): the
    second pull finds what the first read and asks for the bytes after it."""
    s, base = site
    s.files["/log.ndjson?sig=one"] = lines(0, 50)
    first = remote.pull_logs(base + "/log.ndjson?sig=one", {}, db_path)
    assert first is not None and first.events_added == 50
    s.files["/log.ndjson?sig=two"] = lines(0, 50) + lines(50, 10)
    sent = s.sent
    second = remote.pull_logs(base + "/log.ndjson?sig=two", {}, db_path)
    assert second is not None and (second.events_added, second.duplicates) == (10, 0)
    assert s.requests[-1]["Range"].startswith("bytes=")
    assert s.sent - sent < len(lines(50, 10)) + 4096 + 1
    assert query("SELECT path, lines_done FROM ingest_files") == [(base + "/log.ndjson", 60)]


def test_nothing_new_names_the_url_without_its_query_or_user_info(
    site: Any, db_path: Path, runner: CliRunner
) -> None:
    s, base = site
    s.files["/log.ndjson?sig=QUERYSECRET"] = lines(0, 5)
    url = base.replace("//", "//reader:PASSW0RD@") + "/log.ndjson?sig=QUERYSECRET"
    first = runner.invoke(cli, ["pull", "logs", url, "--db", str(db_path)])
    assert first.exit_code == 0, first.output
    again = runner.invoke(cli, ["pull", "logs", url, "--db", str(db_path)])
    assert again.exit_code == 0, again.output
    assert f"nothing new at {base}/log.ndjson\n" in again.output, again.output
    for out in (first.output, again.output):
        assert "QUERYSECRET" not in out and "PASSW0RD" not in out


def test_ingest_files_holds_a_pulled_logs_size_as_served(
    site: Any, db_path: Path, query: Any
) -> None:
    """ingest_files.size of a pulled log is the log's size, as for a file on disk, also after a
    pull of only its new bytes."""
    s, base = site
    s.files["/log.ndjson"] = lines(0, 30)
    remote.pull_logs(base + "/log.ndjson", {}, db_path)
    n = len(s.files["/log.ndjson"])
    assert query("SELECT size, offset_done FROM ingest_files") == [(n, n)]
    s.files["/log.ndjson"] += lines(30, 5)
    remote.pull_logs(base + "/log.ndjson", {}, db_path)
    n = len(s.files["/log.ndjson"])
    assert query("SELECT size, offset_done, lines_done FROM ingest_files") == [(n, n, 35)]


def test_a_killed_pulls_download_is_swept_and_a_running_ones_kept(
    site: Any, db_path: Path, query: Any
) -> None:
    s, base = site
    s.files["/log.ndjson"] = lines(0, 5)
    spool = db_path.parent / ".pull"
    spool.mkdir(parents=True)
    killed, running = spool / "refscope-pull-4242-1", spool / "refscope-pull-4343-2"
    for f in (killed, running):
        f.write_bytes(b"x" * 1000)
    two_days_ago = time.time() - 2 * 86400
    os.utime(killed, (two_days_ago, two_days_ago))
    remote.pull_logs(base + "/log.ndjson", {}, db_path)
    assert sorted(p.name for p in spool.iterdir()) == [running.name]
    assert query.scalar("SELECT count(*) FROM events") == 5


def test_a_replaced_file_is_read_whole_without_duplicates(
    site: Any, db_path: Path, query: Any
) -> None:
    s, base = site
    s.files["/log.ndjson"] = lines(0, 30)
    remote.pull_logs(base + "/log.ndjson", {}, db_path)
    s.files["/log.ndjson"] = lines(100, 5) + lines(0, 30)  # rotated: new content first
    res = remote.pull_logs(base + "/log.ndjson", {}, db_path)
    assert res is not None and res.events_added == 5
    assert query.scalar("SELECT count(*) FROM events") == 35


def test_a_pull_stopped_part_way_records_no_offset_and_the_next_pull_finishes_it(
    site: Any, db_path: Path, query: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pulled input is recorded once read whole: the download is gone after a run that stops
    after its first batch, and its fingerprint is of its end, not of where it stopped."""
    s, base = site
    s.files["/log.ndjson"] = lines(0, 50)
    monkeypatch.setenv("REFSCOPE_INGEST_BATCH", "2KB")
    load, batches = pipeline._load, []

    def second_batch_fails(*args: Any) -> None:
        batches.append(1)
        if len(batches) == 2:
            raise SourceError("stopped by the test")
        load(*args)

    monkeypatch.setattr(pipeline, "_load", second_batch_fails)
    with pytest.raises(SourceError, match="stopped by the test"):
        remote.pull_logs(base + "/log.ndjson", {}, db_path)
    assert 0 < query.scalar("SELECT count(*) FROM events") < 50
    assert query.scalar("SELECT count(*) FROM ingest_files") == 0
    monkeypatch.setattr(pipeline, "_load", load)
    res = remote.pull_logs(base + "/log.ndjson", {}, db_path)
    assert res is not None and res.resumed
    assert query.scalar("SELECT count(*) FROM events") == 50
    assert query("SELECT offset_done, lines_done FROM ingest_files") == [
        (len(s.files["/log.ndjson"]), 50)
    ]


def test_a_server_without_ranges_still_works(site: Any, db_path: Path, query: Any) -> None:
    s, base = site
    s.ranges = False
    s.files["/log.ndjson"] = lines(0, 20)
    remote.pull_logs(base + "/log.ndjson", {}, db_path)
    s.files["/log.ndjson"] += lines(20, 3)
    res = remote.pull_logs(base + "/log.ndjson", {}, db_path)
    assert res is not None and res.events_added == 3 and res.duplicates == 20
    assert query.scalar("SELECT count(*) FROM events") == 23


def test_an_unfinished_last_line_is_pulled_again_once_complete(
    site: Any, db_path: Path, query: Any
) -> None:
    s, base = site
    full = lines(0, 4)
    cut = full.rindex(b"{")
    s.files["/log.ndjson"] = full[: cut + 20]
    remote.pull_logs(base + "/log.ndjson", {}, db_path)
    assert query.scalar("SELECT count(*) FROM events") == 3
    assert query.scalar("SELECT count(*) FROM rejects") == 1
    s.files["/log.ndjson"] = full
    remote.pull_logs(base + "/log.ndjson", {}, db_path)
    assert query.scalar("SELECT count(*) FROM events") == 4
    assert query.scalar("SELECT count(*) FROM rejects") == 0


def test_an_export_answering_no_content_is_nothing_new_not_an_error(
    site: Any, db_path: Path, runner: CliRunner, query: Any
) -> None:
    """An export endpoint with nothing in it yet may answer 204 No Content."""
    s, base = site
    s.answers["/export"] = 204
    res = runner.invoke(cli, ["pull", "logs", base + "/export", "--db", str(db_path)])
    assert res.exit_code == 0, res.output
    assert f"nothing new at {base}/export" in res.output
    assert query("SELECT count(*) FROM ingest_files") == [(0,)]
    assert list((db_path.parent / ".pull").iterdir()) == []


def test_a_pull_that_brings_only_part_of_a_line_keeps_the_next_one_to_a_range(
    site: Any, db_path: Path, query: Any
) -> None:
    """A pull whose new bytes end no line keeps the fingerprint of what was read whole, so the
    pull after it still asks only for the bytes after that, not for the whole file again."""
    s, base = site
    s.files["/log.ndjson"] = lines(0, 50)
    remote.pull_logs(base + "/log.ndjson", {}, db_path)
    s.files["/log.ndjson"] = lines(0, 50) + lines(50, 1)[:40]
    remote.pull_logs(base + "/log.ndjson", {}, db_path)
    assert query("SELECT count(*) FROM events") == [(50,)]
    s.files["/log.ndjson"] = lines(0, 52)
    sent = s.sent
    res = remote.pull_logs(base + "/log.ndjson", {}, db_path)
    assert res is not None and (res.events_added, res.duplicates) == (2, 0)
    assert s.requests[-1]["Range"].startswith("bytes=")
    assert s.sent - sent < len(lines(50, 2)) + 4096 + 1
    assert query("SELECT count(*) FROM events") == [(52,)]
    assert query("SELECT count(*) FROM rejects") == [(0,)]


def test_gz_export_uses_a_conditional_get(site: Any, db_path: Path, query: Any) -> None:
    s, base = site
    s.files["/export.ndjson.gz"] = gzip.compress(lines(0, 40))
    res = remote.pull_logs(base + "/export.ndjson.gz", {}, db_path)
    assert res is not None and res.events_added == 40
    assert remote.pull_logs(base + "/export.ndjson.gz", {}, db_path) is None
    assert s.requests[-1].get("If-None-Match")


def test_gz_export_uses_last_modified_when_the_server_sends_no_etag(
    site: Any, db_path: Path, query: Any
) -> None:
    s, base = site
    s.last_modified = "Wed, 15 Nov 2023 08:00:00 GMT"
    s.files["/export.ndjson.gz"] = gzip.compress(lines(0, 40))
    res = remote.pull_logs(base + "/export.ndjson.gz", {}, db_path)
    assert res is not None and res.events_added == 40
    sent = s.sent
    assert remote.pull_logs(base + "/export.ndjson.gz", {}, db_path) is None
    assert s.requests[-1].get("If-Modified-Since") == s.last_modified
    assert s.sent == sent  # a 304: not downloaded again
    s.last_modified = "Thu, 16 Nov 2023 08:00:00 GMT"
    s.files["/export.ndjson.gz"] = gzip.compress(lines(0, 45))
    res = remote.pull_logs(base + "/export.ndjson.gz", {}, db_path)
    assert res is not None and (res.events_added, res.rejects_added) == (5, 0)
    assert query("SELECT count(*) FROM events") == [(45,)]


def test_a_gz_object_served_decompressed_is_read_as_plain_text(
    site: Any, db_path: Path, query: Any
) -> None:
    """Cloud Storage serves a gzip object stored with Content-Encoding: gzip decompressed to a
    request that does not accept gzip (decompressive transcoding), so the .gz URL answers plain
    NDJSON: https://cloud.google.com/storage/docs/transcoding. It was "Not a gzipped file"."""
    s, base = site
    s.files["/logs/day.ndjson.gz"] = lines(0, 30)  # what the identity request gets back
    res = remote.pull_logs(base + "/logs/day.ndjson.gz", {}, db_path)
    assert res is not None and (res.events_added, res.rejects_added) == (30, 0)
    assert remote.pull_logs(base + "/logs/day.ndjson.gz", {}, db_path) is None  # same ETag
    s.files["/logs/day.ndjson.gz"] = lines(0, 45)
    res = remote.pull_logs(base + "/logs/day.ndjson.gz", {}, db_path)
    assert res is not None and (res.events_added, res.rejects_added) == (15, 0)
    assert query("SELECT count(*), count(DISTINCT event_key) FROM events") == [(45, 45)]


def test_a_gz_object_served_decompressed_with_a_byte_order_mark_is_read(
    site: Any, db_path: Path, query: Any
) -> None:
    """A log saved by a Windows tool starts with a byte order mark: served decompressed at its
    .gz URL, it is still NDJSON text, not "Not a gzipped file"."""
    s, base = site
    s.files["/logs/win.ndjson.gz"] = b"\xef\xbb\xbf" + lines(0, 3)
    res = remote.pull_logs(base + "/logs/win.ndjson.gz", {}, db_path)
    assert res is not None and (res.events_added, res.rejects_added) == (3, 0)
    assert query("SELECT count(*) FROM events") == [(3,)]


def test_a_gz_export_at_a_url_without_gz_is_read_as_one(
    site: Any, db_path: Path, query: Any
) -> None:
    s, base = site
    s.files["/export"] = gzip.compress(lines(0, 30))
    s.content_types["/export"] = "application/gzip"
    s.files["/day1.ndjson.gz"] = gzip.compress(lines(30, 20))
    s.redirects = {"/latest": "/day1.ndjson.gz"}
    for path, n in (("/export", 30), ("/latest", 20)):
        res = remote.pull_logs(base + path, {}, db_path)
        assert res is not None and (res.events_added, res.rejects_added) == (n, 0), path
    assert query("SELECT count(*) FROM events") == [(50,)]
    # Pulled again: read whole again, and nothing is added twice.
    res = remote.pull_logs(base + "/export", {}, db_path)
    assert res is None or (res.events_added, res.rejects_added) == (0, 0)
    assert query("SELECT count(*) FROM rejects") == [(0,)]


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_transient_failures_are_retried(site: Any, db_path: Path, query: Any, status: int) -> None:
    s, base = site
    s.files["/log.ndjson"] = lines(0, 5)
    s.fail_next, s.fail_status = 3, status  # a plain 500 too: any 5xx may pass
    res = remote.pull_logs(base + "/log.ndjson", {}, db_path)
    assert res is not None and res.events_added == 5
    s.fail_next = 10
    with pytest.raises(SourceError, match="giving up after 5 attempts"):
        remote.pull_logs(base + "/log.ndjson", {}, db_path)


@pytest.mark.parametrize("status", [408, 429])
def test_busy_answers_are_retried_after_the_wait_the_server_asks(
    site: Any, tmp_path: Path, status: int
) -> None:
    s, base = site
    s.files["/log.ndjson"] = lines(0, 5)
    s.fail_next, s.fail_status, s.fail_headers = 2, status, {"Retry-After": "7"}
    waits: list[float] = []
    got = fetch.pull(base + "/log.ndjson", None, spool_dir=tmp_path, sleep=waits.append)
    assert got.status == 200 and got.plan is not None and got.bytes == len(lines(0, 5))
    assert waits == [7.0, 7.0]
    s.fail_next, s.fail_headers = 1, {"Retry-After": "86400"}  # capped: not a day's hang
    waits.clear()
    fetch.pull(base + "/log.ndjson", None, spool_dir=tmp_path, sleep=waits.append)
    assert waits == [fetch.RETRY_AFTER_CAP]
    s.fail_next, s.fail_headers = 1, {}  # no Retry-After: the usual backoff
    waits.clear()
    fetch.pull(base + "/log.ndjson", None, spool_dir=tmp_path, sleep=waits.append)
    assert waits == [fetch.BACKOFF_SECONDS]
    # Not a number of seconds (the latin-1 byte 0xb2 is '²', which str.isdigit() takes): the
    # usual backoff, not a traceback.
    s.fail_next, s.fail_headers = 1, {"Retry-After": "\u00b2"}
    waits.clear()
    fetch.pull(base + "/log.ndjson", None, spool_dir=tmp_path, sleep=waits.append)
    assert waits == [fetch.BACKOFF_SECONDS]


def test_a_pull_gives_up_after_every_attempt_with_the_waits_doubling(
    site: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pull that says it gave up after 5 attempts made five requests, not four, with the
    backoff doubling from BACKOFF_SECONDS between them (the other tests set it to 0)."""
    monkeypatch.setattr("ingest.fetch.BACKOFF_SECONDS", 0.5)
    s, base = site
    s.files["/log.ndjson"] = lines(0, 5)
    s.fail_next = 100
    waits: list[float] = []
    with pytest.raises(SourceError, match=f"giving up after {fetch.RETRIES} attempts: HTTP 503"):
        fetch.pull(base + "/log.ndjson", None, spool_dir=tmp_path, sleep=waits.append)
    assert len(s.requests) == fetch.RETRIES == 5
    assert waits == [0.5, 1.0, 2.0, 4.0]
    assert list(tmp_path.iterdir()) == []


def test_giving_up_names_the_url_without_its_query_or_user_info(
    site: Any, db_path: Path, runner: CliRunner
) -> None:
    """A signed URL's query and the user info are credentials: the error after the last
    attempt names the URL without them."""
    s, base = site
    s.files["/log.ndjson"] = lines(0, 2)
    s.fail_next = 100
    url = base.replace("//", "//reader:PASSW0RD@") + "/log.ndjson?sig=QUERYSECRET"
    res = runner.invoke(cli, ["pull", "logs", url, "--db", str(db_path)])
    assert res.exit_code == 1, res.output
    assert f"{base}/log.ndjson: giving up after 5 attempts: HTTP 503" in res.output, res.output
    assert "QUERYSECRET" not in res.output and "PASSW0RD" not in res.output


def test_a_web_page_instead_of_a_log_is_refused_and_nothing_is_read(
    site: Any, db_path: Path, runner: CliRunner, query: Any
) -> None:
    s, base = site
    s.files["/log.ndjson"] = b"<!DOCTYPE html>\n<html><body>Sign in</body></html>\n"
    s.content_types["/log.ndjson"] = "text/html; charset=utf-8"
    res = runner.invoke(cli, ["pull", "logs", base + "/log.ndjson", "--db", str(db_path)])
    assert res.exit_code == 1 and "answered with a web page" in res.output, res.output
    # Once the URL serves the log, all of it is read: nothing was recorded as read before.
    s.files["/log.ndjson"] = lines(0, 3)
    s.content_types["/log.ndjson"] = "text/html"  # a mislabelled log is still a log
    res = runner.invoke(cli, ["pull", "logs", base + "/log.ndjson", "--db", str(db_path)])
    assert res.exit_code == 0, res.output
    assert query("SELECT count(*) FROM events") == [(3,)]
    assert query("SELECT count(*) FROM rejects") == [(0,)]


def test_auth_errors_are_clear_and_never_show_the_token(
    site: Any, db_path: Path, runner: CliRunner
) -> None:
    s, base = site
    s.require_auth = True
    s.files["/log.ndjson"] = lines(0, 2)
    res = runner.invoke(cli, ["pull", "logs", base + "/log.ndjson", "--db", str(db_path)])
    assert res.exit_code != 0 and "wants credentials" in res.output
    res = runner.invoke(
        cli,
        ["pull", "logs", base + "/log.ndjson", "--header", "Authorization: Bearer wrong",
         "--db", str(db_path)],
    )  # fmt: skip
    assert res.exit_code != 0 and "wants credentials" in res.output and "wrong" not in res.output
    res = runner.invoke(
        cli,
        ["pull", "logs", base + "/log.ndjson", "--header", f"Authorization: {TOKEN}",
         "--db", str(db_path)],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    assert "s3cr3t" not in res.output
    s.require_auth = False
    res = runner.invoke(cli, ["pull", "logs", base + "/nope.ndjson", "--db", str(db_path)])
    assert res.exit_code != 0 and "no log at this URL" in res.output


def test_a_shrunk_file_is_read_whole_even_without_a_size_in_the_416(
    site: Any, db_path: Path, query: Any
) -> None:
    s, base = site
    s.range_total = False  # Content-Range on a 416 is only a SHOULD (RFC 9110 §15.5.17)
    s.files["/log.ndjson"] = lines(0, 40)
    remote.pull_logs(base + "/log.ndjson", {}, db_path)
    s.files["/log.ndjson"] = lines(200, 2)  # rotated: a new, short file
    res = remote.pull_logs(base + "/log.ndjson", {}, db_path)
    assert res is not None and res.events_added == 2
    assert query.scalar("SELECT count(*) FROM events") == 42


def test_a_range_ignored_is_not_downloaded_twice(site: Any, db_path: Path, query: Any) -> None:
    s, base = site
    s.ranges = False
    s.files["/log.ndjson"] = lines(0, 20)
    remote.pull_logs(base + "/log.ndjson", {}, db_path)
    s.files["/log.ndjson"] += lines(20, 3)
    before, sent = len(s.requests), s.sent
    res = remote.pull_logs(base + "/log.ndjson", {}, db_path)
    assert res is not None and res.events_added == 3
    assert len(s.requests) - before == 1  # the 200 to the Range request is the whole file
    assert s.sent - sent == len(s.files["/log.ndjson"])
    assert query.scalar("SELECT count(*) FROM events") == 23


def test_ranges_count_the_file_bytes_when_the_server_gzips(
    site: Any, db_path: Path, query: Any
) -> None:
    s, base = site
    s.gzip_encoding = True
    s.files["/log.ndjson"] = lines(0, 50)
    first = remote.pull_logs(base + "/log.ndjson", {}, db_path)
    assert first is not None and first.events_added == 50  # gzip-encoded, decoded on the way
    s.files["/log.ndjson"] += lines(50, 10)
    second = remote.pull_logs(base + "/log.ndjson", {}, db_path)
    assert second is not None and second.events_added == 10 and second.duplicates == 0
    assert s.requests[-1]["Range"].startswith("bytes=")
    assert s.requests[-1]["Accept-Encoding"] == "identity"
    assert query.scalar("SELECT count(*) FROM events") == 60
    assert query.scalar("SELECT count(*) FROM rejects") == 0


def test_a_range_gzipped_against_the_identity_asked_is_refused_and_the_file_read_whole(
    site: Any, db_path: Path, query: Any
) -> None:
    """A server that gzips its answer to a Range asking for the identity encoding sends a slice
    of a gzip stream, which no decoder can read: the part is kept raw and refused, and the file
    is fetched whole, not the pull failed."""
    s, base = site
    s.gzip_always = True
    s.files["/log.ndjson"] = lines(0, 17)  # more than OVERLAP: the range starts past byte 0
    first = remote.pull_logs(base + "/log.ndjson", {}, db_path)
    assert first is not None and first.events_added == 17
    s.files["/log.ndjson"] += lines(17, 3)
    before = len(s.requests)
    second = remote.pull_logs(base + "/log.ndjson", {}, db_path)
    assert second is not None and (second.events_added, second.rejects_added) == (3, 0)
    assert ["Range" in r for r in s.requests[before:]] == [True, False]  # the part, the whole
    assert query("SELECT count(*) FROM events") == [(20,)]


def test_no_spool_file_is_left_behind(site: Any, db_path: Path) -> None:
    s, base = site
    s.files["/export.ndjson.gz"] = gzip.compress(lines(0, 5))
    s.files["/log.ndjson"] = lines(0, 30)
    for _ in range(2):  # the second: a 304, and a 206 with nothing new
        remote.pull_logs(base + "/export.ndjson.gz", {}, db_path)
        remote.pull_logs(base + "/log.ndjson", {}, db_path)
    s.files["/log.ndjson"] = lines(0, 1)  # shrank: a 416, then the whole file
    remote.pull_logs(base + "/log.ndjson", {}, db_path)
    assert list((db_path.parent / ".pull").iterdir()) == []


def test_redirects_are_followed_and_a_loop_is_a_clear_error(
    site: Any, db_path: Path, runner: CliRunner
) -> None:
    s, base = site
    s.files["/log.ndjson"] = lines(0, 3)
    s.redirects = {"/latest": "/log.ndjson", "/loop": "/loop"}
    res = remote.pull_logs(base + "/latest", {}, db_path)
    assert res is not None and res.events_added == 3
    out = runner.invoke(cli, ["pull", "logs", base + "/loop?sig=abc", "--db", str(db_path)])
    assert out.exit_code == 1 and "redirects" in out.output.lower(), out.output
    assert "/loop:" in out.output and "sig=abc" not in out.output
    assert out.exception is None or isinstance(out.exception, SystemExit)


@pytest.mark.parametrize(
    "url",
    ["ftp://127.0.0.1/log.ndjson", "127.0.0.1/log.ndjson", "http://127.0.0.1:99999/log.ndjson",
     "http:///log.ndjson"],
)  # fmt: skip
def test_a_bad_url_is_refused_at_once(
    url: str, db_path: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    waits: list[float] = []
    monkeypatch.setattr("ingest.fetch.time.sleep", waits.append)
    out = runner.invoke(cli, ["pull", "logs", url, "--db", str(db_path)])
    assert out.exit_code == 1 and "http:// or https:// URL" in out.output, out.output
    assert out.exception is None or isinstance(out.exception, SystemExit)
    assert waits == []


@pytest.mark.parametrize(
    "url", ["ftp://reader:PASSW0RD@127.0.0.1/log.ndjson", "http:reader:PASSW0RD@127.0.0.1/x"]
)
def test_a_bad_url_is_refused_without_showing_its_credentials(
    url: str, db_path: Path, runner: CliRunner
) -> None:
    out = runner.invoke(cli, ["pull", "logs", url, "--db", str(db_path)])
    assert out.exit_code == 1 and "http:// or https:// URL" in out.output, out.output
    assert "PASSW0RD" not in out.output and "reader" not in out.output


def test_an_ipv6_host_keeps_its_brackets_in_the_stored_name() -> None:
    assert (
        fetch.safe_url("http://u:p@[::1]:8080/log.ndjson?sig=1") == "http://[::1]:8080/log.ndjson"
    )


def test_a_gz_cut_short_says_what_was_read_under_its_url(
    site: Any, db_path: Path, runner: CliRunner, query: Any
) -> None:
    s, base = site
    whole = gzip.compress(lines(0, 3000))
    s.files["/t.ndjson.gz"] = whole[: len(whole) * 2 // 3]
    out = runner.invoke(cli, ["pull", "logs", base + "/t.ndjson.gz", "--db", str(db_path)])
    assert out.exit_code == 0, out.output
    (n,) = query("SELECT count(*) FROM events")[0]
    assert 0 < n < 3000
    assert f"warning: {base}/t.ndjson.gz: the compressed stream ends early" in out.output
    assert "refscope-pull-" not in out.output and "nothing new to read" not in out.output
    assert f"{n:,} events ({n:,} new" in out.output


def test_a_damaged_gz_is_an_error_under_its_url_not_the_download_file(
    site: Any, db_path: Path, runner: CliRunner
) -> None:
    """The pull reads a download file the user never named: its error names the URL."""
    s, base = site
    whole = gzip.compress(lines(0, 300))
    s.files["/d.ndjson.gz"] = whole[:30] + bytes(b ^ 0x55 for b in whole[30:60]) + whole[60:]
    out = runner.invoke(cli, ["pull", "logs", base + "/d.ndjson.gz", "--db", str(db_path)])
    assert out.exit_code == 1, out.output
    assert f"{base}/d.ndjson.gz: cannot read" in out.output
    assert "refscope-pull-" not in out.output


def test_an_error_or_warning_under_a_signed_url_shows_neither_its_query_nor_user_info(
    site: Any, db_path: Path, runner: CliRunner
) -> None:
    """The download file's name is replaced by the URL as `nothing new at` shows it: without
    the signature or the password a terminal, or cron's log, would keep."""
    s, base = site
    whole = gzip.compress(lines(0, 3000))
    s.files["/d.ndjson.gz?sig=QUERYSECRET"] = whole[:30] + bytes(b ^ 0x55 for b in whole[30:60])
    s.files["/t.ndjson.gz?sig=QUERYSECRET"] = whole[: len(whole) * 2 // 3]
    signed = base.replace("//", "//reader:PASSW0RD@") + "/{}.ndjson.gz?sig=QUERYSECRET"
    damaged = runner.invoke(cli, ["pull", "logs", signed.format("d"), "--db", str(db_path)])
    assert damaged.exit_code == 1, damaged.output
    assert f"Error: {base}/d.ndjson.gz: cannot read" in damaged.output
    cut = runner.invoke(cli, ["pull", "logs", signed.format("t"), "--db", str(db_path)])
    assert cut.exit_code == 0, cut.output
    assert f"warning: {base}/t.ndjson.gz: the compressed stream ends early" in cut.output
    for out in (damaged.output, cut.output):
        assert "QUERYSECRET" not in out and "PASSW0RD" not in out
        assert "refscope-pull-" not in out


def test_a_redirect_to_another_host_gets_none_of_the_users_headers(
    site: Any, db_path: Path
) -> None:
    s, base = site
    s.files["/f.ndjson"] = lines(0, 3)
    other = base.replace("127.0.0.1", "localhost")  # the same server, another origin
    s.redirects = {"/ext.ndjson": f"{other}/f.ndjson", "/same.ndjson": "/f.ndjson"}
    headers = {"Authorization": TOKEN, "X-Api-Key": "KEYSECRET11"}
    assert remote.pull_logs(base + "/ext.ndjson", headers, db_path) is not None
    sent = s.requests[-1]
    assert sent["Host"].startswith("localhost") and "X-Api-Key" not in sent
    assert "Authorization" not in sent
    # On the same origin they follow the redirect.
    remote.pull_logs(base + "/same.ndjson", headers, db_path)
    assert s.requests[-1].get("X-Api-Key") == "KEYSECRET11"


def test_a_redirect_to_another_port_of_the_same_host_gets_none_of_the_users_headers(
    site: Any, db_path: Path
) -> None:
    """Another port is another origin (another server, maybe another user's): the README's
    "scheme, host or port"."""
    s, base = site
    other = Site(files={"/f.ndjson": lines(0, 3)})
    server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(other))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        s.redirects = {"/ext.ndjson": f"http://127.0.0.1:{server.server_address[1]}/f.ndjson"}
        headers = {"Authorization": TOKEN, "X-Api-Key": "KEYSECRET11"}
        res = remote.pull_logs(base + "/ext.ndjson", headers, db_path)
        assert res is not None and res.events_added == 3
    finally:
        server.shutdown()
        server.server_close()
    assert s.requests[-1].get("X-Api-Key") == "KEYSECRET11"  # asked of the URL's own origin
    assert len(other.requests) == 1
    assert "X-Api-Key" not in other.requests[0] and "Authorization" not in other.requests[0]


@pytest.mark.parametrize("header", ["X-A: é", "X-Key: abc\r\ndef"])
def test_a_header_no_request_can_carry_is_refused_without_showing_it(header: str) -> None:
    with pytest.raises(SourceError, match="a header holds printable ASCII only") as err:
        fetch.parse_headers([header])
    assert header.split(":")[1].strip()[:3] not in str(err.value)


@pytest.mark.parametrize(
    ("header", "rule"),
    [
        ("Bearer s3cr3t-t0ken", "a header is 'Name: value'"),  # the name and its colon forgotten
        (": s3cr3t-t0ken", "a header is 'Name: value'"),
        ("Authorization Bearer s3cr3t-t0ken: x", "a header name is letters, digits and"),
        ("X-Key: s3cr3t-t0kén", "a header holds printable ASCII only"),
    ],
)
def test_no_part_of_a_refused_header_is_shown_and_its_place_is_named(
    header: str, rule: str
) -> None:
    with pytest.raises(SourceError) as err:
        fetch.parse_headers(["Accept: text/plain", header])
    said = str(err.value)
    assert said.startswith(f"--header #2 of 2: {rule}"), said
    assert "s3cr" not in said and "t0k" not in said and "Bearer" not in said
    with pytest.raises(SourceError, match="^--header: "):
        fetch.parse_headers([header])


@pytest.mark.parametrize("header", ["Bad Name: v", "X-Key(1): v", "X/Y: v"])
def test_a_header_name_no_request_can_carry_is_refused_before_any_request(
    site: Any, db_path: Path, runner: CliRunner, header: str
) -> None:
    s, base = site
    s.files["/log.ndjson"] = lines(0, 2)
    res = runner.invoke(
        cli, ["pull", "logs", base + "/log.ndjson", "--header", header, "--db", str(db_path)]
    )
    assert res.exit_code != 0
    assert "a header name is letters, digits and" in res.output, res.output
    assert "attempts" not in res.output and s.requests == []
