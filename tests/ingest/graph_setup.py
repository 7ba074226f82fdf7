"""A fake Graph API insights endpoint on 127.0.0.1 for the `refscope pull ads` tests, with a fake
clock; the server any such fake answers on, the fixture that serves it (tests/ingest/conftest.py
imports it), insights rows, and a pull against it."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from ingest import remote
from tests.local_http import served

TOKEN = "EAAB-fake-graph-token-123"
ACCOUNT = "act_1234567890"
TODAY = dt.date(2026, 11, 24)

# what a fake endpoint answers a request: HTTP status, body (JSON, or a str sent as is), headers
Answer = tuple[int, Any, dict[str, str]]


@dataclass
class FakeGraph:
    """A fake insights endpoint with a fake clock that the client's sleep advances."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    page_size: int = 3
    # request number (1-based) → (HTTP status, error code, usage header); code None: a body
    # that is not JSON
    faults: dict[int, tuple[int, int | None, dict[str, Any] | None]] = field(default_factory=dict)
    usage_pct: int = 10  # call_count in X-App-Usage of the pages answered
    now: float = 0.0
    blocked_until: float = 0.0
    requests: list[dict[str, list[str]]] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    base: str = ""
    auth: str = ""  # the Authorization header of the request being answered
    circular: bool = False  # every next link leads to the second page, itself included
    echo: str = ""  # a text body answered with HTTP 400 ({token}: the token it was sent)

    def sleep(self, seconds: float) -> None:
        self.now += seconds

    def answer(self, path: str, query: dict[str, list[str]]) -> Answer:
        self.requests.append(query)
        n = len(self.requests)
        if self.echo:
            return 400, self.echo.format(token=self.auth.removeprefix("Bearer ")), {}
        if self.auth != f"Bearer {TOKEN}" or "access_token" in query:
            return 400, {"error": {"code": 190, "message": "Invalid OAuth access token"}}, {}
        if self.now < self.blocked_until:
            self.violations.append(f"request {n} at {self.now} before {self.blocked_until}")
        if n in self.faults:
            status, code, usage = self.faults[n]
            headers = {}
            if usage is not None:
                headers["X-Business-Use-Case-Usage"] = json.dumps({"1234567890": [usage]})
                wait = usage.get("estimated_time_to_regain_access", 0) * 60
                self.blocked_until = self.now + wait
            if code is None:
                return status, "<html>upstream cut</html>", headers
            return status, {"error": {"code": code, "message": "slow down"}}, headers
        after = int(query.get("after", ["0"])[0])
        window = json.loads(query["time_range"][0]) if "time_range" in query else None
        # A row whose date_start is missing or no date is served whatever the window.
        rows = [r for r in self.rows if not window or not str(r.get("date_start", "-"))[:1]
                .isdigit() or window["since"] <= r["date_start"] <= window["until"]]  # fmt: skip
        page = rows[after : after + self.page_size]
        body: dict[str, Any] = {"data": page, "paging": {"cursors": {"after": str(after)}}}
        if after + self.page_size < len(rows):
            # Meta's next links carry the token; the client must not send it back in the URL.
            q = {k: v[0] for k, v in query.items()} | {
                "after": str(self.page_size if self.circular else after + self.page_size),
                "access_token": TOKEN,
            }
            body["paging"]["next"] = f"{self.base}{path}?{urlencode(q)}"
        return 200, body, {"X-App-Usage": json.dumps({"call_count": self.usage_pct,
                                                      "total_time": 5})}  # fmt: skip


STARTED = "onsite_conversion.messaging_conversation_started_7d"


def insight(day: str, ad: str, spend: str, started: str = "3") -> dict[str, Any]:
    return {
        "date_start": day, "date_stop": day, "account_id": "1234567890",
        "campaign_id": "c1", "campaign_name": "Spring", "adset_id": "s1", "adset_name": "All",
        "ad_id": ad, "ad_name": f"Ad {ad}", "spend": spend, "impressions": "1000",
        "clicks": "40",
        "actions": [
            {"action_type": STARTED, "value": started},
            {"action_type": "link_click", "value": "40"},
        ],
        "cost_per_action_type": [
            {"action_type": STARTED, "value": "1.5"}
        ],
    }  # fmt: skip


@contextmanager
def serving(answer: Callable[[str, dict[str, list[str]], str], Answer]) -> Iterator[str]:
    """Serves GETs on 127.0.0.1 while open, yielding its base URL: `answer(path, query,
    Authorization header)` gives the status, the body (JSON, or a str sent as is) and headers."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802 (the stdlib's name)
            parts = urlsplit(self.path)
            auth = self.headers.get("Authorization", "")
            status, body, headers = answer(parts.path, parse_qs(parts.query), auth)
            data = (body if isinstance(body, str) else json.dumps(body)).encode()
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    with served(Handler) as base:
        yield base


@pytest.fixture
def graph() -> Iterator[FakeGraph]:
    fake = FakeGraph()

    def answer(path: str, query: dict[str, list[str]], auth: str) -> Answer:
        fake.auth = auth
        return fake.answer(path, query)

    with serving(answer) as fake.base:
        yield fake


def pull(graph: FakeGraph, db_path: Path, **kw: Any) -> Any:
    return remote.pull_ads(
        ACCOUNT, TOKEN, db_path, base_url=graph.base, sleep=graph.sleep, today=TODAY, **kw
    )


def days(n: int, ads: tuple[str, ...] = ("601", "602")) -> list[dict[str, Any]]:
    start = TODAY - dt.timedelta(days=n - 1)
    return [
        insight(str(start + dt.timedelta(days=i)), ad, f"{10 + i}.50")
        for i in range(n) for ad in ads
    ]  # fmt: skip
