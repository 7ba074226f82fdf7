"""Gaps found by an audit of the parser and attribution against Meta's documented payloads.

Each line is built as Meta's docs show it and goes through the real pipeline into a real
DuckDB file. Page feed reference: https://developers.facebook.com/docs/graph-api/webhooks/reference/page/
"""

from __future__ import annotations

from typing import Any

import duckdb

import tests.factories_feed as ff
from tests.conftest import Query
from tests.factories import PAGE_ID, T0

POST_ID = f"{PAGE_ID}_4455667788"


def feed_reaction(from_id: str, reaction_type: str = "like", verb: str = "add") -> dict[str, Any]:
    """A `feed` change for a reaction to the page's post (item `reaction`, created_time in s)."""
    return {
        "field": "feed",
        "value": {
            "item": "reaction",
            "verb": verb,
            "reaction_type": reaction_type,
            "post_id": POST_ID,
            "parent_id": POST_ID,
            "from": {"id": from_id, "name": "Jane Doe"},
            "created_time": T0 // 1000,
        },
    }


def test_feed_reactions_of_two_people_in_one_second_are_two_events(
    ingest_lines, query: Query
) -> None:
    """A reaction, a like or a share has no id of its own: who made it tells two apart. Two
    people reacting to one post within the same second (created_time is in seconds) were
    one event, the other counted as a duplicate of it."""
    batched = ff.feed(feed_reaction("10158230000000001"), feed_reaction("10158230000000002"))
    alone = ff.feed(feed_reaction("10158230000000003", "love"))
    result = ingest_lines([batched, alone, batched])  # the batch delivered twice
    assert query("SELECT reason FROM rejects") == []
    rows = query("SELECT kind, detail, commenter_id FROM events ORDER BY commenter_id")
    assert rows == [
        ("other", "feed.reaction", "10158230000000001"),
        ("other", "feed.reaction", "10158230000000002"),
        ("other", "feed.reaction", "10158230000000003"),
    ]
    assert (result.events_added, result.duplicates) == (3, 2)


def test_a_comments_key_keeps_its_formula(ingest_lines, query: Query) -> None:
    """A comment is named by its comment_id: its key stays as it was (a changed key would add
    every comment again when a log is read anew)."""
    ingest_lines([ff.feed(ff.comment())])
    value = ff.comment()["value"]
    text = "\x1f".join(
        [PAGE_ID, "comment", "feed", "comment", "add", value["comment_id"], POST_ID,
         str(T0 // 1000 * 1000)]
    )  # fmt: skip
    con = duckdb.connect()
    try:
        (key,) = con.execute(
            "SELECT md5_number(? || chr(31) || md5(?))", [text, value["message"]]
        ).fetchone() or (None,)
    finally:
        con.close()
    assert query("SELECT event_key FROM events") == [(key,)]
