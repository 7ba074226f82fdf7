"""Connection errors, which issue 6 names beside 5xx answers: `pull logs` and `pull ads` against
servers on 127.0.0.1 that hang up part-way through an answer (or before sending one) retry with
backoff, and what lands is each line or row once; a server that is not there is given up on
with a message naming the failure."""

from __future__ import annotations

import datetime as dt
import json
import socket
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from ingest import fetch, remote
from ingest.errors import SourceError
from ingest.graph import GraphError
from tests.ingest.fetch_server import Site, lines, make_handler
from tests.ingest.graph_setup import ACCOUNT, TODAY, TOKEN, FakeGraph, days
from tests.local_http import served


@dataclass
class Drops:
    """Which requests (1-based) to hang up on, and whether after part of an answer or before
    sending any."""

    at: set[int]
    partial: bool = True
    seen: int = 0
    ranges: list[str | None] = field(default_factory=list)  # each request's Range, if any

    def next(self, n: int) -> None:
        """Hang up on the next n requests."""
        self.at = set(range(self.seen + 1, self.seen + 1 + n))


def dropping(handler: type[BaseHTTPRequestHandler], drops: Drops) -> type[BaseHTTPRequestHandler]:
    class Dropping(handler):  # type: ignore[misc,valid-type]
        def do_GET(self) -> None:  # noqa: N802 (the stdlib's name)
            drops.seen += 1
            drops.ranges.append(self.headers.get("Range"))
            if drops.seen not in drops.at:
                return super().do_GET()
            if drops.partial:  # a status, headers promising more, and part of a line
                self.send_response(200)
                self.send_header("Content-Length", "100000")
                self.end_headers()
                self.wfile.write(b'{"object": "page", "entry": [{"id": "1')
                self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
            self.close_connection = True

    return Dropping


@pytest.mark.parametrize("partial", [True, False], ids=["mid-answer", "before-answer"])
def test_pull_logs_retries_a_dropped_connection_and_keeps_each_line_once(
    db_path: Path, query: Any, partial: bool
) -> None:
    site = Site(files={"/log.ndjson": lines(0, 30)})
    drops = Drops({1, 2}, partial)
    with served(dropping(make_handler(site), drops)) as base:
        waits: list[float] = []
        got = fetch.pull(base + "/log.ndjson", None, spool_dir=db_path.parent, sleep=waits.append)
        assert got.status == 200 and got.bytes == len(lines(0, 30))
        assert drops.seen == 3  # two dropped, then the whole answer
        if partial:
            # The first cut's bytes, of an answer without a validator, are gone on from: a
            # step further, after one wait. The server answers that Range with a 200 (hung up
            # on too), which is dropped after its headers and the file asked again at once.
            assert waits == [fetch.BACKOFF_SECONDS]
            assert drops.ranges == [None, "bytes=0-", None]
        else:  # nothing came twice in a row: backing off
            assert waits == [fetch.BACKOFF_SECONDS, 2 * fetch.BACKOFF_SECONDS]
        assert got.plan is not None
        got.plan.path.unlink()
        # Through the whole path: the next pull resumes with a Range, dropped twice too.
        first = remote.pull_logs(base + "/log.ndjson", {}, db_path)
        assert first is not None and first.events_added == 30
        site.files["/log.ndjson"] += lines(30, 10)
        drops.next(2)
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr("ingest.fetch.BACKOFF_SECONDS", 0.0)
            res = remote.pull_logs(base + "/log.ndjson", {}, db_path)
        assert res is not None and res.events_added == 10
        assert site.requests[-1]["Range"].startswith("bytes=")
    assert query.scalar("SELECT count(*) FROM events") == 40
    assert query.scalar("SELECT count(DISTINCT mid) FROM events") == 40
    assert query.scalar("SELECT count(*) FROM rejects") == 0


def test_pull_logs_gives_up_on_a_server_that_is_not_there(tmp_path: Path) -> None:
    with socket.socket() as s:  # a port of 127.0.0.1 that nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    waits: list[float] = []
    url = f"http://127.0.0.1:{port}/log.ndjson"
    with pytest.raises(SourceError, match=f"giving up after {fetch.RETRIES} attempts: Connect"):
        fetch.pull(url, None, spool_dir=tmp_path, sleep=waits.append)
    assert len(waits) == fetch.RETRIES - 1
    assert list(tmp_path.iterdir()) == []


def _graph_server(fake: FakeGraph, drops: Drops) -> AbstractContextManager[str]:
    """The fake Graph API of graph_setup, served by a handler that can hang up."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802 (the stdlib's name)
            parts = urlsplit(self.path)
            fake.auth = self.headers.get("Authorization", "")
            status, body, headers = fake.answer(parts.path, parse_qs(parts.query))
            data = json.dumps(body).encode()
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return served(dropping(Handler, drops))


@pytest.mark.parametrize("partial", [True, False], ids=["mid-answer", "before-answer"])
def test_pull_ads_retries_a_dropped_connection_and_stores_each_row_once(
    db_path: Path, query: Any, partial: bool
) -> None:
    fake = FakeGraph(rows=days(3))  # 6 rows, pages of 3: a drop before each page
    drops = Drops({1, 3}, partial)  # each page's first request
    waited: list[float] = []
    with _graph_server(fake, drops) as base:
        fake.base = base
        res = remote.pull_ads(ACCOUNT, TOKEN, db_path, base_url=base, sleep=waited.append,
                              today=TODAY, since=TODAY - dt.timedelta(days=2))  # fmt: skip
    assert res.rows == 6 and res.pages == 2
    assert waited == [2.0, 2.0]  # the backoff after a failure, once per page
    assert res.waited_seconds == 0  # not a rate limit
    assert drops.seen == 4
    assert query.scalar("SELECT count(*) FROM ad_insights") == 6
    assert query.scalar("SELECT count(DISTINCT (date, ad_id)) FROM ad_insights") == 6


def test_pull_ads_gives_up_on_a_graph_api_that_is_not_there(db_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    waits: list[float] = []
    # The OS's words say which network failure it was (not a bare "ConnectError").
    said = r"network: ConnectError \(.*[Rr]efused.*\); giving up after 8 attempts"
    with pytest.raises(GraphError, match=said):
        remote.pull_ads(ACCOUNT, TOKEN, db_path, base_url=f"http://127.0.0.1:{port}",
                        sleep=waits.append, today=TODAY, since=TODAY)  # fmt: skip
    assert waits == [2.0, 4.0, 8.0, 16.0, 32.0, 60.0, 60.0]
