"""Nothing lost: an item list that is no list (`messaging`, `standby` or `changes` holding an
object or a string) beside good items of the same line is named in a `partly rejected` row,
whichever entry holds it and whichever list the good items came in. Read through the real
pipeline into a real DuckDB file.
"""

from __future__ import annotations

from typing import Any

import tests.factories as f
import tests.factories_feed as ff
from tests.conftest import IngestLines, Query
from tests.factories import PAGE_ID, T0


def _entry(**lists: Any) -> dict[str, Any]:
    return {"id": PAGE_ID, "time": T0, **lists}


def test_a_broken_item_list_beside_good_items_of_its_own_entry_is_rejected_not_dropped(
    ingest_lines: IngestLines, query: Query
) -> None:
    change = ff.feed(ff.comment())["entry"][0]["changes"][0]
    lines = [
        # One entry: messaging written as the one object Meta's reference speaks of, beside a
        # good standby list (its message, u1's, would vanish without a word).
        f.batch(_entry(messaging=f.message(psid="u1", ts=T0),
                       standby=[f.message(psid="s1", ts=T0)])),
        # One entry: good messaging, standby or changes that is no list.
        f.batch(_entry(messaging=[f.message(psid="u2", ts=T0)],
                       standby=f.message(psid="s2", ts=T0))),
        f.batch(_entry(messaging=[f.message(psid="u3", ts=T0)], changes=change)),
        f.batch(_entry(standby=[f.message(psid="s4", ts=T0)], changes="oops")),
        # A batch whose second entry has good messaging beside a broken standby list.
        f.batch(_entry(messaging=[f.message(psid="u5", ts=T0)]),
                _entry(messaging=[f.message(psid="u6", ts=T0)],
                       standby=f.message(psid="s6", ts=T0))),
        # Inside the receiver's envelope too.
        f.envelope(f.batch(_entry(messaging=[f.message(psid="u7", ts=T0)],
                                  standby={"x": 1}))),
    ]  # fmt: skip
    result = ingest_lines(lines)
    assert query("SELECT line_no, reason FROM rejects ORDER BY line_no") == [
        (1, "partly rejected: entry[0].messaging is not a list"),
        (2, "partly rejected: entry[0].standby is not a list"),
        (3, "partly rejected: entry[0].changes is not a list"),
        (4, "partly rejected: entry[0].changes is not a list"),
        (5, "partly rejected: entry[1].standby is not a list"),
        (6, "partly rejected: entry[0].standby is not a list"),
    ]
    assert query("SELECT psid, line_no FROM events ORDER BY line_no, psid") == [
        ("s1", 1), ("u2", 2), ("u3", 3), ("s4", 4), ("u5", 5), ("u6", 5), ("u7", 6),
    ]  # fmt: skip
    assert result.rejects_added == 6


def test_good_item_lists_beside_each_other_are_no_reject(
    ingest_lines: IngestLines, query: Query
) -> None:
    """The check does not fire on what is well formed: an entry with messaging, standby and
    changes lists, an empty list, and a message whose text names a list."""
    change = ff.feed(ff.comment())["entry"][0]["changes"][0]
    lines = [
        f.batch(_entry(messaging=[f.message(psid="u1", ts=T0)],
                       standby=[f.message(psid="s1", ts=T0)], changes=[change])),
        f.batch(_entry(messaging=[], standby=[f.message(psid="s2", ts=T0)])),
        f.delivery(f.message('"standby": {"not": "a list"}', psid="u3", ts=T0)),
    ]  # fmt: skip
    ingest_lines(lines)
    assert query("SELECT count(*) FROM rejects") == [(0,)]
    assert query("SELECT count(DISTINCT line_no) FROM events") == [(3,)]
