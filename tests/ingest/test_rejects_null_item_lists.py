"""An item list written as JSON null (`"standby": null`, as a receiver that re-serialises typed
objects writes an empty one) holds no items: nothing of its line is lost, so it is no reject,
in a batch of entries as in a line of one. Read through the real pipeline into a real DuckDB
file.
"""

from __future__ import annotations

from typing import Any

import tests.factories as f
from tests.conftest import IngestLines, Query
from tests.factories import PAGE_ID, T0


def _entry(**lists: Any) -> dict[str, Any]:
    return {"id": PAGE_ID, "time": T0, **lists}


def test_null_item_lists_beside_good_items_are_no_reject(
    ingest_lines: IngestLines, query: Query
) -> None:
    lines = [
        # One entry: the same in a line of its own and in a batch.
        f.batch(_entry(messaging=None, standby=[f.message(psid="s1", ts=T0)], changes=None)),
        f.batch(
            _entry(messaging=[f.message(psid="u2", ts=T0)], standby=None, changes=None),
            _entry(messaging=None, standby=[f.message(psid="s2", ts=T0)], changes=None),
        ),
        f.batch(_entry(messaging=[f.message(psid="u3", ts=T0)]), _entry(messaging=None)),
    ]
    result = ingest_lines(lines)
    assert query("SELECT line_no, reason FROM rejects ORDER BY line_no") == []
    assert query("SELECT psid, line_no FROM events ORDER BY line_no, psid") == [
        ("s1", 1), ("s2", 2), ("u2", 2), ("u3", 3),
    ]  # fmt: skip
    assert result.rejects_added == 0


def test_a_line_of_null_item_lists_only_says_it_has_no_items(
    ingest_lines: IngestLines, query: Query
) -> None:
    ingest_lines([f.batch(_entry(messaging=None, standby=None, changes=None))])
    assert query("SELECT reason FROM rejects") == [("no messaging, standby or changes items",)]


def test_a_broken_item_list_is_still_named_beside_null_ones(
    ingest_lines: IngestLines, query: Query
) -> None:
    ingest_lines([
        f.batch(_entry(messaging=[f.message(psid="u1", ts=T0)], standby=None),
                _entry(messaging={"x": 1}, changes=None)),
    ])  # fmt: skip
    assert query("SELECT reason FROM rejects") == [
        ("partly rejected: entry[1].messaging is not a list",)
    ]
