"""`refscope pull ads` throttled by an answer that says no time to wait: an app or user limit
(codes 4, 17) announced by X-App-Usage alone, whose call count is over a rolling hour and which
"continuing to make calls will continue to increase". Each such throttle in a row waits twice
as long as the last (60 s, 2 min, 4 min ... up to the hour), so the pull spans the window rather
than asking every minute and giving up within it.
https://developers.facebook.com/docs/graph-api/overview/rate-limiting
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from ingest import graph
from ingest.graph import GraphError
from tests.ingest.graph_setup import Answer, serving
from tests.ingest.test_graph_facts import TODAY, Server, pull, row

APP_USAGE = {"X-App-Usage": json.dumps({"call_count": 100, "total_cputime": 12, "total_time": 9})}


@dataclass
class Blocked(Server):
    """Answers `code` with X-App-Usage at 100 % (no time to regain access) to every request
    before `until` on its fake clock, then pages as Server does."""

    code: int = 4
    until: float = 0.0

    def answer(self, path: str, query: dict[str, list[str]], auth: str) -> Answer:
        if self.now < self.until:
            self.requests.append((path, query, auth, self.now))
            err = {"message": f"(#{self.code}) Application request limit reached",
                   "type": "OAuthException", "code": self.code, "fbtrace_id": "Hs1"}  # fmt: skip
            return 400, {"error": err}, dict(APP_USAGE)
        return super().answer(path, query, auth)


@pytest.mark.parametrize("code", [4, 17])
def test_a_throttle_that_says_no_time_waits_longer_each_time(
    db_path: Path, query: Any, code: int
) -> None:
    """Blocked for 30 minutes: it asked every 60 s and gave up after 8 attempts, 7 minutes in,
    each call adding to the count that kept it blocked."""
    fake = Blocked(code=code, until=1800.0)
    fake.rows = [row(TODAY, "9", "1.25")]
    with serving(fake.answer) as fake.base:
        waits: list[str] = []
        res = pull(fake, db_path, since=TODAY, on_wait=waits.append)
    assert [t for *_, t in fake.requests] == [0.0, 60.0, 180.0, 420.0, 900.0, 1860.0]
    assert res.rows == 1 and res.waited_seconds == 1860.0
    assert waits[1].startswith(f"throttled (code {code}: (#{code}) Application request limit")
    assert "retrying in 120 s" in waits[1]
    assert query.scalar("SELECT spend FROM ad_insights") == 1.25


def test_the_longest_wait_is_the_rolling_hour_and_the_pull_then_gives_up(db_path: Path) -> None:
    """Never lifted: the waits stop growing at the hour the call count is taken over, and the
    pull gives up after its attempts, about two hours in, saying the code."""
    fake = Blocked(until=float("inf"))
    with serving(fake.answer) as fake.base, pytest.raises(GraphError, match=r"code 4"):
        pull(fake, db_path, since=TODAY)
    times = [t for *_, t in fake.requests]
    assert len(times) == graph.MAX_RETRIES
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert gaps == [60.0, 120.0, 240.0, 480.0, 960.0, 1920.0, 3600.0]


def test_a_throttle_that_says_how_long_waits_that_long_each_time(db_path: Path) -> None:
    """The Business Use Case header's estimated_time_to_regain_access is waited as it says, not
    doubled: 2 minutes, then 2 minutes again."""
    buc = {"X-Business-Use-Case-Usage": json.dumps({"555": [
        {"type": "ads_insights", "call_count": 100, "total_cputime": 20, "total_time": 30,
         "estimated_time_to_regain_access": 2}]})}  # fmt: skip
    err = {"error": {"message": "(#80000) too many calls", "code": 80000}}
    fake = Server(rows=[row(TODAY, "9", "1.25")])
    fake.script = {1: (400, err, buc), 2: (400, err, buc)}
    with serving(fake.answer) as fake.base:
        res = pull(fake, db_path, since=TODAY)
    assert [t for *_, t in fake.requests] == [0.0, 120.0, 240.0]
    assert res.rows == 1
