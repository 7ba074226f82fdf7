"""`refscope pull ads` whose --base-url answers a web page with HTTP 200 (a website, not the Graph
API; a proxy's login page), labelled HTML: said at once, naming --base-url, rather than asked
again 8 times with waits of up to a minute as a cut answer is, and given up on as "HTTP 200
without a JSON object"."""

from __future__ import annotations

from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest

from ingest import remote
from ingest.graph import GraphError
from tests.ingest.graph_setup import ACCOUNT, TODAY, TOKEN
from tests.local_http import served

PAGE = b"<!DOCTYPE html>\n<html><head><title>Sign in</title></head><body>EAAB</body></html>\n"


class _Website(BaseHTTPRequestHandler):
    requests = 0
    label = "text/html; charset=utf-8"
    page = PAGE

    def log_message(self, *args: Any) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802 (the stdlib's name)
        type(self).requests += 1
        self.send_response(200)
        self.send_header("Content-Type", self.label)
        self.send_header("Content-Length", str(len(self.page)))
        self.end_headers()
        self.wfile.write(self.page)


@pytest.fixture
def website() -> Iterator[tuple[type[_Website], str]]:
    handler = type("Website", (_Website,), {"requests": 0})
    with served(handler) as base:
        yield handler, base


@pytest.mark.parametrize("label", ["text/html; charset=utf-8", "application/xhtml+xml"])
def test_a_web_page_at_the_base_url_is_said_at_once(
    website: tuple[type[_Website], str], db_path: Path, query: Any, label: str
) -> None:
    """Said so by its Content-Type: an answer labelled JSON but cut or garbled into HTML on the
    way is asked again (test_graph.py)."""
    handler, base = website
    handler.label = label
    waits: list[float] = []
    with pytest.raises(GraphError) as exc:
        remote.pull_ads(ACCOUNT, TOKEN, db_path, base_url=base, since=TODAY, today=TODAY,
                        sleep=waits.append)  # fmt: skip
    said = str(exc.value)
    assert said.startswith("Graph API: the answer is a web page (HTTP 200), not the Graph "
                           "API's JSON: is --base-url the Graph API"), said  # fmt: skip
    assert handler.requests == 1 and waits == []
    assert TOKEN not in said
    assert query("SELECT count(*) FROM ad_pulls") == [(0,)]


def test_a_web_page_after_many_blank_lines_is_said_at_once(
    website: tuple[type[_Website], str], db_path: Path
) -> None:
    """A template's page may start with a hundred blank characters: the first 64 bytes alone
    were blank, so it was asked again 8 times as a garbled answer, then 'still failing'."""
    handler, base = website
    handler.page = b"\r\n" * 30 + b" " * 70 + PAGE
    waits: list[float] = []
    with pytest.raises(GraphError, match="the answer is a web page"):
        remote.pull_ads(ACCOUNT, TOKEN, db_path, base_url=base, since=TODAY, today=TODAY,
                        sleep=waits.append)  # fmt: skip
    assert handler.requests == 1 and waits == []
