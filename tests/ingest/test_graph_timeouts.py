"""`refscope pull ads` against an insights endpoint that never answers a long range in time:
Meta's sync insights calls "can return out-of-memory or timeout errors" on too much data, and
its remedy for a timed-out call is a smaller date range (error 100/1504018, 2/1504038).
https://developers.facebook.com/docs/marketing-api/insights/best-practices and
https://developers.facebook.com/documentation/ads-commerce/marketing-api/insights/error-codes
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.ingest.graph_setup import Answer, serving
from tests.ingest.test_graph_answers import Ranged
from tests.ingest.test_graph_facts import TODAY, pull, row

# The client's wait for an answer: the server below holds a slow answer until the test ends.
READ_TIMEOUT = httpx.Timeout(10.0, read=0.5)


@dataclass
class Slow(Ranged):
    """Answers a range of more than `most` days (and the first `stalls` calls of any range)
    only once `released` is set, after the client has stopped waiting."""

    most: int = 3
    stalls: int = 0
    released: threading.Event = field(default_factory=threading.Event)
    asked: list[tuple[str, str]] = field(default_factory=list)  # each call's range, as it came

    def refusal(self, since: dt.date, until: dt.date) -> Answer | None:
        self.asked.append((str(since), str(until)))
        if (until - since).days + 1 > self.most or self.stalls > 0:
            self.stalls -= 1
            self.released.wait(30)
            return 200, {"data": [], "paging": {}}, {}
        return None


@pytest.fixture
def slow() -> Iterator[Slow]:
    fake = Slow()
    with serving(fake.answer) as fake.base:
        try:
            yield fake
        finally:
            fake.released.set()


def test_a_range_that_times_out_twice_is_pulled_in_parts(
    slow: Slow, db_path: Path, query: Any
) -> None:
    """A long range Meta never answers within the client's timeout was asked again as is eight
    times, and the pull gave up, as did every later pull of the same days. Timed out twice, it
    is asked in halves, as a range Meta refuses as too much data."""
    since = TODAY - dt.timedelta(days=9)
    slow.all = [row(since + dt.timedelta(days=d), ad, "1.50") for d in range(10)
                for ad in ("9", "10")]  # fmt: skip
    with httpx.Client(timeout=READ_TIMEOUT, trust_env=False) as client:
        res = pull(slow, db_path, since=since, until=TODAY, client=client)
    assert (res.rows, res.since, res.until, res.refused) == (20, since, TODAY, ())
    assert slow.asked.count((str(since), str(TODAY))) == 2
    assert query.scalar("SELECT sum(spend) FROM ad_insights") == 30.0
    assert query("SELECT since, until FROM ad_pulls") == [(since, TODAY)]


def test_a_single_day_that_times_out_is_asked_again_as_it_is(
    slow: Slow, db_path: Path, query: Any
) -> None:
    """One day cannot be asked in parts: its timeouts are retried as before."""
    slow.all, slow.stalls = [row(TODAY, "9", "1.50")], 2
    with httpx.Client(timeout=READ_TIMEOUT, trust_env=False) as client:
        res = pull(slow, db_path, since=TODAY, until=TODAY, client=client)
    assert res.rows == 1 and slow.asked == [(str(TODAY), str(TODAY))] * 3
    assert query.scalar("SELECT spend FROM ad_insights") == 1.5
