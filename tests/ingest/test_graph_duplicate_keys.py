"""`refscope pull ads` reads a key given twice in one object of Meta's answer at its first value,
as every other JSON refscope reads (README "What the ingest reads"), and takes a bare NaN as
the insights lines' reader does."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.ingest.test_graph_facts import TODAY, Server, api, pull, row

__all__ = ["api"]  # the fixture, shared with test_graph_facts.py


@pytest.mark.parametrize(
    ("given", "twice"),
    [('"spend": "1.25"', '"spend": "1.25", "spend": "99.00"'),
     ('"paging"', '"data": [], "paging"')],
    ids=["spend-twice", "data-twice"],
)  # fmt: skip
def test_an_answer_giving_a_key_twice_is_read_at_its_first_value(
    api: Server, db_path: Path, query: Any, given: str, twice: str
) -> None:
    """httpx's resp.json() kept the last: a second spend was stored, a second `data` (empty)
    dropped the day's row; a bare NaN, in a field pull ads does not read, is still taken."""
    one = json.dumps(row(TODAY, "9", "1.25")).replace('"ad_id"', '"cpm": NaN, "ad_id"')
    body = json.dumps({"data": [], "paging": {"cursors": {}}}).replace("[]", f"[{one}]")
    assert body.count(given) == 1
    api.script = {1: (200, body.replace(given, twice), {})}
    res = pull(api, db_path, since=TODAY)
    assert res.rows == 1 and len(api.requests) == 1
    assert query("SELECT date, ad_id, spend FROM ad_insights") == [(TODAY, "9", 1.25)]
