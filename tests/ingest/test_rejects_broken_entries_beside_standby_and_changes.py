"""Nothing lost: a batch's entry that is no object (a string, a number, a list) beside entries
of standby or changes items, and none of messaging items, is named in a `partly rejected` row,
as it is beside entries of messaging items. Read through the real pipeline into a real DuckDB
file.
"""

from __future__ import annotations

from typing import Any

import tests.factories as f
import tests.factories_feed as ff
from tests.conftest import IngestLines, Query
from tests.factories import T0


def test_a_broken_entry_beside_standby_or_changes_entries_is_rejected_not_dropped(
    ingest_lines: IngestLines, query: Query
) -> None:
    def standby(n: int) -> dict[str, Any]:
        return f.entry(f.message(psid=f"s{n}", ts=T0), container="standby")

    def feed(n: int) -> dict[str, Any]:
        entry: dict[str, Any] = ff.feed(ff.comment(comment_id=f"4455667788_{n}"))["entry"][0]
        return entry

    wrapped = {**feed(0), "changes": [{"field": "messages", "value": f.message(psid="w1")}]}
    lines = [
        f.batch("junk", standby(1)),
        f.batch(feed(2), 42),
        f.batch(wrapped, [1]),
        f.envelope(f.batch(standby(4), feed(4), "junk")),
        # Entries of other lists beside them are no reject: nothing of them is lost.
        f.batch(standby(5), feed(5)),
        f.batch(feed(6), feed(66)),
    ]
    result = ingest_lines(lines)
    assert query("SELECT line_no, reason FROM rejects ORDER BY line_no") == [
        (1, "partly rejected: entry[0] is not an object"),
        (2, "partly rejected: entry[1] is not an object"),
        (3, "partly rejected: entry[1] is not an object"),
        (4, "partly rejected: entry[2] is not an object"),
    ]
    assert query("SELECT DISTINCT line_no FROM events ORDER BY 1") == [(i,) for i in range(1, 7)]
    assert result.rejects_added == 4
