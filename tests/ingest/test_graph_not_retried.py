"""`refscope pull ads` against errors whose code says asking again cannot mend them, whatever
the HTTP status they come with: Meta's error-handling table gives codes 102 and 190 "get a new
access token", 10 and 200-299 "handle the missing permissions", 3 "make sure your app has the
necessary capability or permissions"; retries are keyed on the error code, not the status.

https://developers.facebook.com/docs/graph-api/guides/error-handling
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ingest.graph import GraphError
from tests.ingest.test_graph_facts import TODAY, TOKEN, Server, api, pull, row

__all__ = ["api"]  # the fixture, shared with test_graph_facts.py

EXPIRED = {"message": "Error validating access token: Session has expired on Monday, "
           "23-Nov-26 10:00:00 PST.", "type": "OAuthException", "code": 190,
           "error_subcode": 463, "fbtrace_id": "Ak3x"}  # fmt: skip
DENIED = {"message": "(#200) Ad account owner has NOT grant ads_management or ads_read "
          "permission", "type": "OAuthException", "code": 200, "fbtrace_id": "Bq9z"}  # fmt: skip
NO_CAPABILITY = "(#3) Application does not have the capability to make this API call."


@pytest.mark.parametrize(
    ("status", "err", "said"),
    [
        (500, EXPIRED, "get a new one and set it in REFSCOPE_META_TOKEN"),
        (503, {**EXPIRED, "code": 102, "error_subcode": 0}, "REFSCOPE_META_TOKEN"),
        (500, DENIED, "lacks a permission this call needs (ads_read"),
        (502, {**DENIED, "code": 10}, "lacks a permission this call needs (ads_read"),
        (500, {**DENIED, "code": 3, "message": NO_CAPABILITY}, "does not have the capability"),
    ],
)
def test_a_5xx_whose_code_asking_again_cannot_mend_stops_at_once(
    api: Server, db_path: Path, query: Any, status: int, err: dict[str, Any], said: str
) -> None:
    """Such an answer with HTTP 5xx was retried as a server error eight times over about three
    minutes of backoff, and the pull gave up as 'still failing', without Meta's remedy. It stops
    at its first answer, saying what the same code says with HTTP 400."""
    api.rows = [row(TODAY, "9", "1.25")]
    api.script = {n: (status, {"error": err}, {}) for n in range(1, 20)}
    waits: list[str] = []
    with pytest.raises(GraphError) as exc:
        pull(api, db_path, since=TODAY, on_wait=waits.append)
    assert len(api.requests) == 1 and api.now == 0.0 and waits == []
    assert said in str(exc.value) and f"Graph API error {err['code']}: " in str(exc.value)
    assert TOKEN not in str(exc.value)
    assert query.scalar("SELECT count(*) FROM ad_pulls") == 0


def test_the_same_code_marked_is_transient_is_still_asked_again(
    api: Server, db_path: Path, query: Any
) -> None:
    """Meta marks an error worth asking again with is_transient: that mark is kept."""
    api.rows = [row(TODAY, "9", "1.25")]
    api.script = {1: (500, {"error": {**EXPIRED, "is_transient": True}}, {})}
    res = pull(api, db_path, since=TODAY)
    assert res.rows == 1 and len(api.requests) == 2
    assert query.scalar("SELECT spend FROM ad_insights") == 1.25


def test_a_5xx_with_another_code_is_still_asked_again(
    api: Server, db_path: Path, query: Any
) -> None:
    """A server error with a code the table does not rule out (100, a proxy's own) is retried."""
    api.rows = [row(TODAY, "9", "1.25")]
    api.script = {1: (502, {"error": {"code": 100, "message": "Bad gateway"}}, {})}
    res = pull(api, db_path, since=TODAY)
    assert res.rows == 1 and len(api.requests) == 2
    assert query.scalar("SELECT spend FROM ad_insights") == 1.25
