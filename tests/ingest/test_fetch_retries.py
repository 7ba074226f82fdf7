"""`refscope pull logs` against a busy or failing server: 5xx, 408 and 429 retried, the wait a
server asks kept (capped), the backoff doubling, and giving up."""

from __future__ import annotations

import socket
import time
from email.utils import formatdate
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from ingest import fetch, http_headers, remote
from ingest.cli import cli
from ingest.errors import SourceError
from tests.ingest.fetch_server import lines

pytestmark = pytest.mark.usefixtures("fast_retries")  # no backoff waits (one test sets its own)


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
    assert waits == [http_headers.RETRY_AFTER_CAP]
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


def test_a_retry_after_given_as_a_date_is_waited_out(site: Any, tmp_path: Path) -> None:
    """Retry-After is a number of seconds or an HTTP date (RFC 9110 §10.2.3): a date is waited
    out until then (capped), not taken for no wait at all."""
    s, base = site
    s.files["/log.ndjson"] = lines(0, 5)
    later = formatdate(time.time() + 60, usegmt=True)
    s.fail_next, s.fail_status, s.fail_headers = 1, 503, {"Retry-After": later}
    waits: list[float] = []
    got = fetch.pull(base + "/log.ndjson", None, spool_dir=tmp_path, sleep=waits.append)
    assert got.status == 200 and len(waits) == 1
    assert 55 <= waits[0] <= 60, waits
    s.fail_next, s.fail_headers = 1, {"Retry-After": formatdate(time.time() + 86400, usegmt=True)}
    waits.clear()
    fetch.pull(base + "/log.ndjson", None, spool_dir=tmp_path, sleep=waits.append)
    assert waits == [http_headers.RETRY_AFTER_CAP]
    s.fail_next, s.fail_headers = 1, {"Retry-After": formatdate(time.time() - 60, usegmt=True)}
    waits.clear()
    fetch.pull(base + "/log.ndjson", None, spool_dir=tmp_path, sleep=waits.append)
    assert waits == [fetch.BACKOFF_SECONDS]  # a date past: the usual backoff


def test_a_server_that_hangs_is_given_up_on_after_the_read_timeout_and_asked_again(
    site: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A server that takes a request and answers nothing (hung, or a proxy waiting on it):
    each attempt ends at the read timeout and is retried; five in a row are given up.

    Margins that hold on a loaded machine: the answer after the stalls has 1.5 s to come; a
    stall lasts 4.5 s (a timeout never ends early), under httpx's default 5 s, so a client
    built without fetch.TIMEOUT gets the first answer and fails the test. A stalled request
    whose client gave up is not answered, so no stall outlasts the test."""
    monkeypatch.setattr("ingest.fetch.TIMEOUT", httpx.Timeout(10.0, read=1.5))
    s, base = site
    s.files["/log.ndjson"] = lines(0, 5)
    s.stall_next, s.stall = 2, 4.5
    waits: list[float] = []
    got = fetch.pull(base + "/log.ndjson", None, spool_dir=tmp_path, sleep=waits.append)
    assert got.plan is not None and got.bytes == len(lines(0, 5))
    assert len(s.requests) == 3 and len(waits) == 2
    # Here no answer has to come in time: a shorter read timeout, well under the stall.
    monkeypatch.setattr("ingest.fetch.TIMEOUT", httpx.Timeout(10.0, read=0.5))
    s.stall_next = 5
    with pytest.raises(SourceError, match="giving up after 5 attempts: ReadTimeout"):
        fetch.pull(base + "/log.ndjson", None, spool_dir=tmp_path, sleep=waits.append)


def test_a_server_that_refuses_connections_is_retried_then_given_up(tmp_path: Path) -> None:
    """Nothing listening (a server restarting): each connection refused is retried."""
    with socket.socket() as sock:  # a port of this machine that nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    waits: list[float] = []
    with pytest.raises(SourceError, match="giving up after 5 attempts: ConnectError"):
        fetch.pull(f"http://127.0.0.1:{port}/log.ndjson", None, spool_dir=tmp_path,
                   sleep=waits.append)  # fmt: skip
    assert len(waits) == 4
