"""`refscope pull ads` against the codes of Meta's error-handling table whose remedy is to wait
and ask again: 341, "Application limit reached: temporary issue due to downtime or throttling.
Wait and retry the operation, or examine your API request volume", as for 4 and 17; 368,
"Temporarily blocked for policies violations: Wait and retry the operation", as for 1 and 2.

https://developers.facebook.com/docs/graph-api/guides/error-handling
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ingest import graph
from tests.ingest.test_graph_facts import TODAY, Server, api, pull, row

__all__ = ["api"]  # the fixture, shared with test_graph_facts.py


def test_application_limit_reached_is_waited_out_as_throttling(
    api: Server, db_path: Path, query: Any
) -> None:
    """Code 341 stopped the pull at its first answer, as an error asking again cannot mend:
    Meta's table says to wait and ask again. It is waited out as the other rate limits are (60 s
    when no usage header says how long), counted as a wait for rate limits."""
    api.rows = [row(TODAY, "9", "1.25")]
    err = {"message": "(#341) Application limit reached", "type": "OAuthException",
           "code": 341, "fbtrace_id": "AqR7"}  # fmt: skip
    api.script = {1: (400, {"error": err}, {})}
    waits: list[str] = []
    res = pull(api, db_path, since=TODAY, on_wait=waits.append)
    assert res.rows == 1 and len(api.requests) == 2
    assert api.requests[1][3] == graph.DEFAULT_THROTTLE_WAIT  # asked again 60 s later
    assert res.waited_seconds == graph.DEFAULT_THROTTLE_WAIT
    assert waits and waits[0].startswith("throttled (code 341: (#341) Application limit")
    assert query.scalar("SELECT spend FROM ad_insights") == 1.25


def test_temporarily_blocked_is_asked_again(api: Server, db_path: Path, query: Any) -> None:
    """Code 368 stopped the pull at its first answer, as an error asking again cannot mend:
    Meta's table says to wait and retry. It is asked again after a backoff, as codes 1 and 2
    are (not a rate limit: no wait for rate limits counted)."""
    api.rows = [row(TODAY, "9", "1.25")]
    err = {"message": "It looks like you were misusing this feature by going too fast. "
           "You've been temporarily blocked from using it.", "type": "OAuthException",
           "code": 368, "error_subcode": 1390008, "fbtrace_id": "Bx2k"}  # fmt: skip
    api.script = {1: (400, {"error": err}, {}), 2: (400, {"error": err}, {})}
    waits: list[str] = []
    res = pull(api, db_path, since=TODAY, on_wait=waits.append)
    assert res.rows == 1 and len(api.requests) == 3
    assert api.requests[1][3] > 0 and api.requests[2][3] > api.requests[1][3]  # waited each time
    assert res.waited_seconds == 0
    assert len(waits) == 2 and waits[0].startswith("HTTP 400, error 368: It looks like")
    assert query.scalar("SELECT spend FROM ad_insights") == 1.25
