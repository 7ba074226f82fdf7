"""Attribution by a private reply to a comment (`comment_reply`), from the page's send log or
the echo's metadata: before the first message it acquires the contact, after it or without an
answer it does not, a referral on the first message is a re-entry, one at the reply's instant
acquires, and a reply logged twice is one touch, dated by its first arrival.

The rule (ingest/attribute.py): a contact's channel is that of its earliest touch at or before its
conversation opened; with no touch it is `organic`.
"""

from __future__ import annotations

from typing import Any

import pytest

import tests.factories as f
import tests.factories_feed as ff
from tests.conftest import Query
from tests.factories import HOUR, MINUTE, T0, utc
from tests.ingest.logs import contact


def _comment_then_reply(reply: dict[str, Any]) -> list[dict[str, Any]]:
    """A comment by Jane (from.id F1), the page's private reply to PSID u1, then u1 answers."""
    return [
        ff.feed(ff.comment(comment_id="c_1", from_id="F1", created_time=T0 // 1000)),
        reply,
        f.delivery(f.message("yes please", psid="u1", ts=T0 + 10 * MINUTE)),
    ]


PRIVATE_REPLIES = [
    pytest.param(ff.send_log("c_1", "u1", ts=T0 + MINUTE), id="send-log"),
    pytest.param(
        f.delivery(f.private_reply_echo("c_1", psid="u1", ts=T0 + MINUTE)), id="echo-metadata"
    ),
]


@pytest.mark.parametrize("reply", PRIVATE_REPLIES)
def test_private_reply_before_first_message_is_comment_reply(
    ingest_lines, query: Query, reply: dict[str, Any]
) -> None:
    ingest_lines(_comment_then_reply(reply))
    c = contact(query, "u1")
    assert (c["channel"], c["comment_id"], c["first_touch_at"]) == (
        "comment_reply",
        "c_1",
        utc(T0 + MINUTE),
    )
    assert c["first_seen_at"] == utc(T0 + 10 * MINUTE)
    # the commenter's from.id is not a PSID: never a contact, never joined to one
    assert query("SELECT psid FROM contacts") == [("u1",)]
    assert query("SELECT count(*) FROM touches WHERE psid = 'F1'") == [(0,)]


@pytest.mark.parametrize("reply", PRIVATE_REPLIES)
def test_a_referral_on_the_first_message_after_a_private_reply_is_a_reentry(
    ingest_lines, query: Query, reply: dict[str, Any]
) -> None:
    """The reply came first and acquired the contact; the ad the user then wrote from is not
    lost: it is counted as a re-entry, as every other referral from the first action on."""
    ingest_lines([
        reply,
        f.delivery(f.message("about the ad", psid="u1", ts=T0 + 10 * MINUTE,
                             referral=f.ads_referral())),
    ])  # fmt: skip
    c = contact(query, "u1")
    assert (c["channel"], c["reentry_count"]) == ("comment_reply", 1)
    assert query("SELECT channel, is_first, is_reentry FROM touches ORDER BY ts") == [
        ("comment_reply", True, False),
        ("ctm_ad", False, True),
    ]


def test_a_referral_at_the_instant_of_a_private_reply_acquires_the_contact(
    ingest_lines, query: Query
) -> None:
    """At the same instant the user's own referral beats the page's private reply, whatever
    their event keys (several people, so that some reply key sorts before its referral's)."""
    people = [f"u{i}" for i in range(8)]
    lines: list[dict[str, Any]] = []
    for i, psid in enumerate(people):
        lines += [
            ff.send_log(f"c_{i}", psid, ts=T0 + MINUTE),
            f.delivery(f.referral("bio_link", psid=psid, ts=T0 + MINUTE)),
            f.delivery(f.message("hi", psid=psid, ts=T0 + 10 * MINUTE)),
        ]
    ingest_lines(lines)
    assert query("SELECT DISTINCT channel FROM contacts") == [("m_me_link",)]
    assert query("SELECT via, is_first, count(*) FROM touches GROUP BY ALL ORDER BY via") == [
        ("private_reply", False, len(people)), ("referral", True, len(people))]  # fmt: skip


def test_private_reply_logged_twice_is_one_touch(ingest_lines, query: Query) -> None:
    ingest_lines(
        _comment_then_reply(ff.send_log("c_1", "u1", ts=T0 + MINUTE))
        + [f.delivery(f.private_reply_echo("c_1", psid="u1", ts=T0 + MINUTE + 800))]
    )
    assert contact(query, "u1")["channel"] == "comment_reply"
    assert query("SELECT channel, is_first FROM touches") == [("comment_reply", True)]


def test_private_reply_after_the_first_message_is_not_the_acquisition(
    ingest_lines, query: Query
) -> None:
    ingest_lines(
        [
            f.delivery(f.message("hi", psid="u1", ts=T0)),
            ff.send_log("c_1", "u1", ts=T0 + HOUR),
            f.delivery(f.message("thanks", psid="u1", ts=T0 + 2 * HOUR)),
        ]
    )
    c = contact(query, "u1")
    assert (c["channel"], c["reentry_count"]) == ("organic", 0)


def test_private_reply_without_an_answer_makes_nocontact(ingest_lines, query: Query) -> None:
    ingest_lines([ff.feed(ff.comment(from_id="F1")), ff.send_log("c_1", "u1", ts=T0 + MINUTE)])
    assert query("SELECT count(*) FROM contacts") == [(0,)]


@pytest.mark.parametrize("runs", [1, 2], ids=["one-run", "two-runs"])
@pytest.mark.parametrize("later_first", [False, True], ids=["earlier-first", "later-first"])
def test_a_send_log_line_dated_by_two_arrivals_dates_the_reply_by_the_first(
    ingest_lines, query: Query, runs: int, later_first: bool
) -> None:
    """A send-log line without a timestamp of its own, logged twice (README: dated by its
    envelope's received_at): the reply was sent by the first arrival, whatever order the logs
    are read in, so the message between the two arrivals follows it."""
    line = ff.send_log("c_1", "u1")
    del line["timestamp"]
    copies = [f.envelope(line, received_at=T0 + t) for t in (MINUTE, 2 * HOUR)]
    if later_first:
        copies.reverse()
    msg = f.delivery(f.message("yes please", psid="u1", ts=T0 + HOUR))
    if runs == 1:
        ingest_lines([copies[0], msg, copies[1]])
    else:
        ingest_lines([copies[0], msg], name="a.ndjson")
        second = ingest_lines([copies[1]], name="b.ndjson")
        # A copy taking the stored one's place is a duplicate, not a new event.
        assert (second.events_added, second.duplicates) == (0, 1)
    assert query("SELECT count(*) FROM events") == [(2,)]
    c = contact(query, "u1")
    assert (c["channel"], c["first_touch_at"]) == ("comment_reply", utc(T0 + MINUTE))
    assert query("SELECT ts, via, is_first FROM touches") == [
        (utc(T0 + MINUTE), "private_reply", True)]  # fmt: skip
