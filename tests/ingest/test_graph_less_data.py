"""`refscope pull ads` against the answer Meta gives an insights call too big for one sync
request as it comes in practice: HTTP 500, error code 1 ("an unknown error", which is retried),
and the words "Please reduce the amount of data you're asking for, then retry your request",
with or without error_subcode 99.

https://developers.facebook.com/docs/marketing-api/insights/best-practices (sync requests
"can return out-of-memory or timeout errors") and facebook/facebook-python-business-sdk#470
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from ingest.graph import GraphError
from tests.ingest.graph_setup import Answer, serving
from tests.ingest.test_graph_answers import Ranged, pulled_in_parts
from tests.ingest.test_graph_facts import TODAY, Server, pull, row

REDUCE = "Please reduce the amount of data you're asking for, then retry your request"


@dataclass
class Reducing(Ranged):
    """An insights endpoint that answers a range of more than `most` days with Meta's code 1
    "reduce the amount of data" (HTTP 500), and the days asked for otherwise."""

    most: int = 3
    subcode: int | None = None
    code: int = 1
    message: str = REDUCE

    def refusal(self, since: dt.date, until: dt.date) -> Answer | None:
        if (until - since).days + 1 <= self.most:
            return None
        err: dict[str, Any] = {"message": self.message, "type": "OAuthException",
                               "code": self.code, "fbtrace_id": "AxYz"}  # fmt: skip
        if self.subcode is not None:
            err["error_subcode"] = self.subcode
        return 500, {"error": err}, {}


@pytest.mark.parametrize("subcode", [None, 99])
def test_metas_code_1_asking_for_less_data_is_pulled_in_parts(
    db_path: Path, query: Any, subcode: int | None
) -> None:
    """The answer was taken for an unknown, passing error: the same 10 days were asked eight
    times over three minutes of backoff and the pull gave up, as did every later pull asking the
    same days. The range is asked in halves until Meta answers each, as for error 100/1487534."""
    fake = Reducing(most=3, subcode=subcode)
    with serving(fake.answer) as fake.base:
        since = pulled_in_parts(fake, db_path, query)
        refused = [q for _, q, _, _ in fake.requests if "time_range" in q
                   and json.loads(q["time_range"][0])["since"] == str(since)
                   and json.loads(q["time_range"][0])["until"] == str(TODAY)]  # fmt: skip
        assert len(refused) == 1  # asked once, not again as is
        assert fake.now == 0.0  # no backoff: asking again as is cannot mend it


def test_a_single_day_meta_still_finds_too_much_is_metas_words_nothing_stored(
    db_path: Path, query: Any
) -> None:
    fake = Reducing(most=0)
    with serving(fake.answer) as fake.base:
        fake.all = [row(TODAY, "9", "1.50")]
        with pytest.raises(GraphError, match="reduce the amount of data"):
            pull(fake, db_path, since=TODAY - dt.timedelta(days=1), until=TODAY)
        assert query.scalar("SELECT count(*) FROM ad_insights") == 0
        assert query.scalar("SELECT count(*) FROM ad_pulls") == 0


def test_code_1_without_those_words_is_still_asked_again(db_path: Path, query: Any) -> None:
    """Only Meta's request for less data is split: an unknown error (code 1) is retried."""
    fake = Server()
    with serving(fake.answer) as fake.base:
        fake.rows = [row(TODAY, "9", "1.25")]
        err = {"message": "An unknown error occurred", "type": "OAuthException", "code": 1}
        fake.script = {1: (500, {"error": err}, {})}
        res = pull(fake, db_path, since=TODAY)
        assert res.rows == 1 and len(fake.requests) == 2
        assert query.scalar("SELECT spend FROM ad_insights") == 1.25


@pytest.mark.parametrize("code", [1, 2, 100])
def test_a_too_much_data_subcode_is_pulled_in_parts_whatever_its_code_and_words(
    db_path: Path, query: Any, code: int
) -> None:
    """Meta's error_subcode names the refusal (1487534: too much data for one call), and a
    subcode is Meta's, whichever code it comes under: with code 1 or 2 and other words ("An
    unknown error occurred") it was taken for a passing error, the same ten days asked eight
    times over three minutes of backoff and the pull given up. It is asked in halves, as
    100/1487534 is. https://developers.facebook.com/docs/marketing-api/insights/error-codes"""
    fake = Reducing(most=3, subcode=1487534, code=code, message="An unknown error occurred")
    with serving(fake.answer) as fake.base:
        pulled_in_parts(fake, db_path, query)
        assert fake.now == 0.0  # no backoff: asking again as is cannot mend it
