"""`refscope pull ads` against an insights call too big to be answered in time, as it comes
from the other side of the wire: an HTTP 504 (the gateway in front of the Graph API, Meta's or a
proxy at --base-url, gave up waiting), and Meta's HTTP 500 error 1 with error_subcode 99 ("An
unknown error occurred") on a long daily range. Meta's sync insights calls "can return
out-of-memory or timeout errors" on too much data, and its remedy for a timed-out one is a
smaller date range; a range asked again as it is times out again.

https://developers.facebook.com/docs/marketing-api/insights/best-practices and
https://developers.facebook.com/documentation/ads-commerce/marketing-api/insights/error-codes
(1/99 on a long range: facebook/facebook-python-business-sdk#440, #510)
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from ingest import graph
from ingest.graph import GraphError
from tests.ingest.graph_setup import Answer, serving
from tests.ingest.test_graph_answers import Ranged, pulled_in_parts
from tests.ingest.test_graph_facts import TODAY, pull, row

GATEWAY = (504, "<html><body><h1>504 Gateway Time-out</h1></body></html>", {})
UNKNOWN_99 = (500, {"error": {"code": 1, "message": "An unknown error occurred",
                              "error_subcode": 99, "fbtrace_id": "Az9"}}, {})  # fmt: skip
ANSWERS = {"504": GATEWAY, "1/99": UNKNOWN_99}


@dataclass
class TimingOut(Ranged):
    """An insights endpoint that answers a range of more than `most` days (and the first
    `stalls` calls of any range) with `timeout`, and the days asked for otherwise."""

    most: int = 3
    stalls: int = 0
    timeout: Answer = GATEWAY

    def refusal(self, since: dt.date, until: dt.date) -> Answer | None:
        if (until - since).days + 1 > self.most or self.stalls > 0:
            self.stalls -= 1
            return self.timeout
        return None


def _asked(fake: TimingOut, since: dt.date, until: dt.date) -> int:
    asked = {"since": str(since), "until": str(until)}
    ranges = [json.loads(q["time_range"][0]) for _, q, _, _ in fake.requests if "time_range" in q]
    return ranges.count(asked)


@pytest.mark.parametrize("answer", sorted(ANSWERS))
def test_a_range_that_times_out_twice_at_the_gateway_is_pulled_in_parts(
    db_path: Path, query: Any, answer: str
) -> None:
    """Such a range was asked again as it is eight times over about three minutes of backoff,
    and the pull gave up, as did every later pull of the same days, where two read timeouts in
    a row had it asked in halves. It is now asked in halves after two such answers in a row."""
    fake = TimingOut(most=3, timeout=ANSWERS[answer])
    with serving(fake.answer) as fake.base:
        since = pulled_in_parts(fake, db_path, query)
        assert _asked(fake, since, TODAY) == 2


@pytest.mark.parametrize("answer", sorted(ANSWERS))
def test_a_single_day_timing_out_at_the_gateway_is_asked_again_as_it_is(
    db_path: Path, query: Any, answer: str
) -> None:
    """One day cannot be asked in parts: it is retried with backoff as before."""
    fake = TimingOut(most=1, stalls=2, timeout=ANSWERS[answer])
    with serving(fake.answer) as fake.base:
        fake.all = [row(TODAY, "9", "1.50")]
        res = pull(fake, db_path, since=TODAY, until=TODAY)
        assert res.rows == 1 and res.refused == () and _asked(fake, TODAY, TODAY) == 3
        assert query.scalar("SELECT spend FROM ad_insights") == 1.5


def test_a_single_day_that_always_times_out_at_the_gateway_still_gives_up(
    db_path: Path, query: Any
) -> None:
    fake = TimingOut(most=0)
    with serving(fake.answer) as fake.base:
        fake.all = [row(TODAY, "9", "1.50")]
        with pytest.raises(GraphError, match="HTTP 504; giving up after 8 attempts"):
            pull(fake, db_path, since=TODAY, until=TODAY)
        assert _asked(fake, TODAY, TODAY) == graph.MAX_RETRIES
        assert query.scalar("SELECT count(*) FROM ad_pulls") == 0


def test_other_server_errors_of_a_range_are_not_split(db_path: Path, query: Any) -> None:
    """A 502 or 503 (a server down, not an answer too slow to come) is asked again as it is."""
    fake = TimingOut(most=5, stalls=3, timeout=(503, "", {}))
    with serving(fake.answer) as fake.base:
        since = TODAY - dt.timedelta(days=1)
        fake.all = [row(since, "9", "1.50"), row(TODAY, "9", "1.50")]
        res = pull(fake, db_path, since=since, until=TODAY)
        assert res.rows == 2 and _asked(fake, since, TODAY) == 4  # 3 failures, then the answer
