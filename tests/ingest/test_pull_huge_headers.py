"""`refscope pull logs` and `pull ads` against a server whose answer's headers are larger than
httpx reads (100 KiB: a proxy piling up cookies, a debug header run wild): said as that, at
once, rather than retried with backoff as a network failure and given up on as "Receive buffer
too long"."""

from __future__ import annotations

import re
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ingest import remote
from ingest.cli import cli
from ingest.graph import GraphError
from tests.ingest.fetch_server import lines
from tests.ingest.graph_setup import ACCOUNT, TODAY, TOKEN
from tests.local_http import served

pytestmark = pytest.mark.usefixtures("fast_retries")
SAID = "the server's answer has headers too large to read (over httpx's limit of 100 KiB"


class _Huge(BaseHTTPRequestHandler):
    """Answers every GET with a log, after a Set-Cookie header of 200 KB (with `small`: 50 KB,
    which httpx reads); counts the requests."""

    requests = 0
    small = False

    def log_message(self, *args: Any) -> None:
        pass

    def handle_one_request(self) -> None:
        try:  # a client that hangs up on the headers is no fault of the server's
            super().handle_one_request()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def do_GET(self) -> None:  # noqa: N802 (the stdlib's name)
        type(self).requests += 1
        body = lines(0, 3)
        self.send_response(200)
        self.send_header("Set-Cookie", "s=" + "x" * (50_000 if self.small else 200_000))
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def huge() -> Iterator[tuple[type[_Huge], str]]:
    handler = type("Huge", (_Huge,), {"requests": 0, "small": False})
    with served(handler) as base:
        yield handler, base


def test_pull_logs_says_the_headers_are_too_large_at_once(
    huge: tuple[type[_Huge], str], db_path: Path, runner: CliRunner, query: Any
) -> None:
    handler, base = huge
    res = runner.invoke(cli, ["pull", "logs", base + "/log.ndjson", "--db", str(db_path)])
    assert res.exit_code == 1, res.output
    assert res.output.startswith(f"Error: {base}/log.ndjson: {SAID}"), res.output
    assert "not retried" in res.output and handler.requests == 1
    assert query("SELECT count(*) FROM ingest_files") == [(0,)]
    handler.small = True  # headers httpx reads: the log is read
    res = runner.invoke(cli, ["pull", "logs", base + "/log.ndjson", "--db", str(db_path)])
    assert res.exit_code == 0, res.output
    assert query("SELECT count(*) FROM events") == [(3,)]


def test_pull_ads_says_the_headers_are_too_large_at_once(
    huge: tuple[type[_Huge], str], db_path: Path
) -> None:
    handler, base = huge
    waits: list[float] = []
    with pytest.raises(GraphError, match="^Graph API: " + re.escape(SAID)) as exc:
        remote.pull_ads(ACCOUNT, TOKEN, db_path, base_url=base, since=TODAY, today=TODAY,
                        sleep=waits.append)  # fmt: skip
    assert "not retried" in str(exc.value) and TOKEN not in str(exc.value)
    assert handler.requests == 1 and waits == []
