"""Nothing lost, and nothing left unsaid: a delivery none of whose entries can be read names each
broken entry in its one reject row, as a line with good items beside them does (and as its
malformed items are named: up to five, the rest counted). Read through the real pipeline into a
real DuckDB file.
"""

from __future__ import annotations

import tests.factories as f
from tests.conftest import IngestLines, Query
from tests.factories import PAGE_ID, T0


def test_each_broken_entry_of_a_delivery_without_good_ones_is_named(
    ingest_lines: IngestLines, query: Query
) -> None:
    lines = [
        {"object": "page", "entry": [1, 2]},
        {"object": "page", "entry": [None, [], "x"]},
        # An item list that is no list, in one entry and in the next.
        {"object": "page", "entry": [{"id": PAGE_ID, "time": T0, "messaging": {}},
                                     {"id": PAGE_ID, "time": T0, "standby": 5}]},
        f.envelope({"object": "page", "entry": [7, {"id": PAGE_ID, "changes": "x"}]}),
        {"object": "page", "entry": list(range(7))},
    ]  # fmt: skip
    result = ingest_lines(lines)
    assert query("SELECT line_no, reason FROM rejects ORDER BY line_no") == [
        (1, "entry[0] is not an object; entry[1] is not an object"),
        (2, "entry[0] is not an object; entry[1] is not an object; entry[2] is not an object"),
        (3, "entry[0].messaging is not a list; entry[1].standby is not a list"),
        (4, "entry[0] is not an object; entry[1].changes is not a list"),
        (5, "; ".join(f"entry[{i}] is not an object" for i in range(5))
         + "; 2 more malformed items"),
    ]  # fmt: skip
    assert result.rejects_added == 5
    assert query("SELECT count(*) FROM events") == [(0,)]


def test_good_entries_beside_several_broken_ones_become_events(
    ingest_lines: IngestLines, query: Query
) -> None:
    good = f.entry(f.message(psid="u1", ts=T0))
    lines = [{"object": "page", "entry": [1, good, "x", {"id": PAGE_ID, "messaging": {}}]}]
    ingest_lines(lines)
    assert query("SELECT line_no, reason FROM rejects") == [
        (1, "partly rejected: entry[0] is not an object; entry[2] is not an object; "
            "entry[3].messaging is not a list"),
    ]  # fmt: skip
    assert query("SELECT psid, line_no FROM events") == [("u1", 1)]
