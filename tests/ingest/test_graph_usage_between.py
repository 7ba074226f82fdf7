"""`refscope pull ads` reads the usage headers of every answer before it asks again: also of the
last page of a range, before the next part of a range asked in parts, and of a refusal as too
much data (Meta sends X-App-Usage, X-Business-Use-Case-Usage and X-Ad-Account-Usage with each).
https://developers.facebook.com/docs/graph-api/overview/rate-limiting
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.ingest.graph_setup import Answer, serving
from tests.ingest.test_graph_answers import TOO_MUCH, Limited, pulled_in_parts
from tests.ingest.test_graph_facts import TODAY, pull, row

NEAR = {"X-App-Usage": json.dumps({"call_count": 95, "total_cputime": 10, "total_time": 12})}
REGAIN = {"X-Business-Use-Case-Usage": json.dumps({"1234567890": [
    {"type": "ads_insights", "call_count": 40, "total_cputime": 5, "total_time": 5,
     "estimated_time_to_regain_access": 3}]})}  # fmt: skip
ACCOUNT_USAGE = {"X-Ad-Account-Usage": json.dumps({"acc_id_util_pct": 99.5,
                                                   "reset_time_duration": 240})}  # fmt: skip


@dataclass
class Busy(Limited):
    """Refuses more than `most` days as too much data, its refusals with `refusal_headers`, and
    answers the days asked for in one page with `page_headers`."""

    refusal_headers: dict[str, str] | None = None

    def refusal(self, since: dt.date, until: dt.date) -> Answer | None:
        if (until - since).days + 1 > self.most:
            return 400, {"error": TOO_MUCH}, dict(self.refusal_headers or {})
        return None


def _days(query: dict[str, list[str]]) -> int:
    """How many days a request's time_range asks for."""
    asked = json.loads(query["time_range"][0])
    return (dt.date.fromisoformat(asked["until"]) - dt.date.fromisoformat(asked["since"])).days + 1


def _gaps(fake: Busy) -> list[float]:
    """The fake clock's seconds between one request and the next."""
    times = [t for _, _, _, t in fake.requests]
    return [b - a for a, b in zip(times, times[1:], strict=False)]


def test_each_part_of_a_split_range_waits_as_the_last_answers_usage_says(
    db_path: Path, query: Any
) -> None:
    """Usage at 95 % on the last page of each part: the next part was asked at once, as were
    all of them, though a page with a next page waits 60 s there."""
    fake = Busy(most=3, page_size=100)
    fake.page_headers = lambda n: NEAR
    with serving(fake.answer) as fake.base:
        pulled_in_parts(fake, db_path, query)
        answered = [i for i, (_, q, _, _) in enumerate(fake.requests) if _days(q) <= 3]
        assert len(answered) >= 2
        gaps = _gaps(fake)
        for i in answered[:-1]:  # every request after an answered part waits 60 s first
            assert gaps[i] >= 60.0, (i, gaps)


def test_a_part_after_a_refusal_that_says_to_wait_waits(db_path: Path, query: Any) -> None:
    """A refusal as too much data whose headers say access is regained in 3 minutes, or that
    the ad account's usage is at 99.5 % for 240 s: its halves were asked at once."""
    for headers, wait in ((REGAIN, 180.0), (ACCOUNT_USAGE, 240.0)):
        fake = Busy(most=5, page_size=100, refusal_headers=headers)
        with serving(fake.answer) as fake.base:
            since = TODAY - dt.timedelta(days=9)
            fake.all = [row(since + dt.timedelta(days=d), "9", "1.50") for d in range(10)]
            res = pull(fake, db_path, since=since, until=TODAY)
            assert res.rows == 10 and len(fake.requests) == 3
            assert _gaps(fake) == [wait, 0.0]  # the refusal's wait; the first half's page: none
            assert res.waited_seconds == wait
