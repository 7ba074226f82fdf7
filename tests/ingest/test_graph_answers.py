"""`refscope pull ads` against Graph API answers that are hard to take: nested too deep to parse,
a range Meta finds too much data for, a Retry-After to wait out, an error object to report whole.

https://developers.facebook.com/docs/graph-api/guides/error-handling and
https://developers.facebook.com/docs/marketing-api/insights/best-practices
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from ingest.graph import GraphError
from tests.ingest.graph_setup import Answer, serving
from tests.ingest.test_graph_facts import TODAY, Server, api, pull, row

__all__ = ["api"]  # the fixture, shared with test_graph_facts.py


def test_an_answer_nested_too_deep_to_parse_is_asked_again(
    api: Server, db_path: Path, query: Any
) -> None:
    """A body nested deeper than Python's parser goes (a garbled answer, or a hostile
    --base-url) raised RecursionError, not ValueError: a traceback. It is an answer that is not
    JSON, asked again like one."""
    api.rows = [row(TODAY, "9", "1.25")]
    api.script = {1: (200, "[" * 100_000, {})}
    res = pull(api, db_path, since=TODAY)
    assert res.rows == 1 and len(api.requests) == 2
    assert query.scalar("SELECT spend FROM ad_insights") == 1.25


# Meta's answer to an insights call asking for too much data at once (error 100, 1487534)
TOO_MUCH = {"message": "Please reduce the amount of data you're asking for, then retry your "
            "request", "type": "OAuthException", "code": 100, "error_subcode": 1487534,
            "fbtrace_id": "AbC"}  # fmt: skip


@dataclass
class Ranged(Server):
    """An insights endpoint that answers the days asked for out of `all`, or what `refusal` gives
    for the range asked (recorded as a request) where it gives an answer."""

    all: list[dict[str, Any]] = field(default_factory=list)

    def refusal(self, since: dt.date, until: dt.date) -> Answer | None:
        return None

    def answer(self, path: str, query: dict[str, list[str]], auth: str) -> Answer:
        if "time_range" in query:
            days = json.loads(query["time_range"][0])
            since, until = (dt.date.fromisoformat(days[k]) for k in ("since", "until"))
            if (refused := self.refusal(since, until)) is not None:
                self.requests.append((path, query, auth, self.now))
                return refused
            self.rows = [r for r in self.all if since <= dt.date.fromisoformat(r["date_start"])
                         <= until]  # fmt: skip
        return super().answer(path, query, auth)


@dataclass
class Limited(Ranged):
    """An insights endpoint that refuses a range of more than `most` days as Meta refuses too
    much data for one call (error 100, subcode 1487534), and answers the days asked for."""

    most: int = 3

    def refusal(self, since: dt.date, until: dt.date) -> Answer | None:
        return (400, {"error": TOO_MUCH}, {}) if (until - since).days + 1 > self.most else None


def pulled_in_parts(fake: Ranged, db_path: Path, query: Any) -> dt.date:
    """Pulls the last ten days, two ads at 1.50 a day each, from fake (being served), which
    refuses ten days asked at once: all 20 rows are stored, as one pull of the ten days. Gives
    the first day."""
    since = TODAY - dt.timedelta(days=9)
    fake.all = [row(since + dt.timedelta(days=d), ad, "1.50") for d in range(10)
                for ad in ("9", "10")]  # fmt: skip
    res = pull(fake, db_path, since=since, until=TODAY)
    assert (res.rows, res.since, res.until) == (20, since, TODAY)
    assert query.scalar("SELECT count(*) FROM ad_insights") == 20
    assert query.scalar("SELECT sum(spend) FROM ad_insights") == 30.0
    assert query("SELECT since, until FROM ad_pulls") == [(since, TODAY)]
    return since


def test_a_range_meta_finds_too_much_data_for_is_pulled_in_parts(db_path: Path, query: Any) -> None:
    """Meta refuses an insights call that asks for too much data (error 100, subcode 1487534)
    and says to ask for a smaller date range: the pull stopped, and the next one, asking the
    same 28 days, again. The range is asked in halves until Meta answers, stored as one pull."""
    fake = Limited(most=3)
    with serving(fake.answer) as fake.base:
        since = pulled_in_parts(fake, db_path, query)
        fake.most = 0  # not even one day: Meta's message, nothing stored
        with pytest.raises(GraphError, match="reduce the amount of data"):
            pull(fake, db_path, since=since, until=TODAY)
        assert query.scalar("SELECT count(*) FROM ad_pulls") == 1


@pytest.mark.parametrize(
    ("status", "body", "waited"),
    [
        (503, "<html>Service Unavailable</html>", 0.0),  # a failure: not a rate limit
        (429, "<html>Too Many Requests</html>", 7.0),  # a bare 429 (a proxy's): a rate limit
    ],
)
def test_a_retry_after_is_waited_out(
    api: Server, db_path: Path, status: int, body: str, waited: float
) -> None:
    """A 429 or 503 with Retry-After (Meta's edge or a proxy in front of it) says how long to
    wait (RFC 9110): it was not read, a 503 was asked again after 2 s and a bare 429 after 60."""
    api.rows = [row(TODAY, "9", "1.50")]
    api.script = {1: (status, body, {"Retry-After": "7"})}
    res = pull(api, db_path, since=TODAY)
    assert res.rows == 1 and len(api.requests) == 2
    assert api.requests[1][3] == 7.0  # the second request, 7 s on the fake clock
    assert res.waited_seconds == waited


def test_an_error_names_its_type_subcode_and_fbtrace_id(api: Server, db_path: Path) -> None:
    """Meta's error object says more than its code: error_subcode tells one code 190 from
    another (463: the token expired; 460: the password changed), and fbtrace_id is what Meta's
    support asks for. The message gave the code and text only."""
    err = {"message": "Error validating access token: Session has expired", "code": 190,
           "type": "OAuthException", "error_subcode": 463, "fbtrace_id": "A1b2C3d4"}  # fmt: skip
    api.script = {1: (400, {"error": err}, {})}
    with pytest.raises(GraphError) as exc:
        pull(api, db_path, since=TODAY)
    assert str(exc.value) == (
        "Graph API error 190: Error validating access token: Session has expired "
        "(OAuthException, subcode 463, fbtrace_id A1b2C3d4). The access token has expired, was "
        "revoked or is not valid: get a new one and set it in REFSCOPE_META_TOKEN"
    )
    assert len(api.requests) == 1  # asked once: asking again cannot mend a token


PERMISSION = "lacks a permission this call needs (ads_read, for the ad account's insights)"


@pytest.mark.parametrize(
    ("code", "hint"),
    [
        (102, "get a new one and set it in REFSCOPE_META_TOKEN"),  # API session
        (10, PERMISSION),  # API permission denied
        (200, PERMISSION),  # API permissions, 200-299
        (299, PERMISSION),
    ],
)
def test_an_error_no_retry_mends_says_what_to_do(
    api: Server, db_path: Path, code: int, hint: str
) -> None:
    """Meta's table of recovery tactics: codes 102 and 190 want a new access token, 10 and
    200-299 a permission the token lacks. The message gave Meta's text only, which names
    neither the remedy nor where refscope takes the token from."""
    err = {"message": f"(#{code}) Something about the token", "code": code,
           "type": "OAuthException"}  # fmt: skip
    api.script = {1: (400, {"error": err}, {})}
    with pytest.raises(GraphError) as exc:
        pull(api, db_path, since=TODAY)
    assert str(exc.value).startswith(f"Graph API error {code}: (#{code}) Something about")
    assert str(exc.value).endswith(hint)
    assert len(api.requests) == 1


@pytest.mark.parametrize("code", [100, 300, 9])
def test_other_errors_get_no_remedy(api: Server, db_path: Path, code: int) -> None:
    """Only the codes Meta gives a remedy for get one: a bad parameter (100) says Meta's words."""
    err = {"message": "Invalid parameter", "code": code, "type": "OAuthException"}
    api.script = {1: (400, {"error": err}, {})}
    with pytest.raises(GraphError) as exc:
        pull(api, db_path, since=TODAY)
    assert str(exc.value) == f"Graph API error {code}: Invalid parameter (OAuthException)"


@pytest.mark.parametrize(
    "answer",
    [
        (429, "<html>Too Many Requests</html>"),  # a bare 429: Meta's edge, a proxy
        (400, {"error": {"message": "(#17) User request limit reached", "code": 17,
                         "type": "OAuthException"}}),  # a throttle code, no usage header
    ],
)  # fmt: skip
def test_a_throttles_long_retry_after_is_waited_out_whole(
    api: Server, db_path: Path, answer: tuple[int, Any]
) -> None:
    """A throttled answer's Retry-After is how long the limit holds: it was cut to 300 s, as a
    failing server's is, so the pull asked again 10 minutes before the limit lifted (and again,
    every 5 minutes), each call counted against the limit. It is waited out whole."""
    api.rows = [row(TODAY, "9", "1.50")]
    api.script = {1: (*answer, {"Retry-After": "900"})}
    res = pull(api, db_path, since=TODAY)
    assert res.rows == 1 and len(api.requests) == 2
    assert api.requests[1][3] == 900.0  # the second request, 15 minutes on the fake clock
    assert res.waited_seconds == 900.0
