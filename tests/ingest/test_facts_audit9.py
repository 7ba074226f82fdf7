"""Combinations of Meta's documented payloads found by a ninth outside audit of `refscope ingest`
against the payload facts, each built as Meta sends it and read through the real pipeline into a
real DuckDB file. Attribution rule: README "Attribution". Payloads:
https://developers.facebook.com/docs/messenger-platform/reference/webhook-events
"""

from __future__ import annotations

from typing import Any

import pytest

import tests.factories as f
from tests.conftest import Query
from tests.factories import T0

SECOND = 1000
Lines = list[dict[str, Any]]
# An instant in seconds, as Meta sometimes dates referrals and as the messaging_postbacks doc's
# sample dates a postback: https://developers.facebook.com/documentation/business-messaging/messenger-platform/webhooks/webhook-events/messaging_postbacks
T0_S = T0 // SECOND
# Enough contacts that the ids (mids, hashed into event keys) order both ways at one instant.
PEOPLE = [f"tie{n}" for n in range(8)]


def one_click_in_one_second() -> Lines:
    """Each person taps Get Started under a Click-to-Messenger ad and writes at once: the
    postback's referral and the first message's message.referral name the same ad, both dated
    to the same second."""
    lines: Lines = []
    for who in PEOPLE:
        ad = f.ads_referral()
        lines.append(f.delivery(f.postback(referral=ad, psid=who, ts=T0_S, mid=f"pb_{who}")))
        lines.append(f.delivery(f.message(psid=who, ts=T0_S, mid=f"m_{who}", referral=ad)))
    return lines


def test_a_get_started_and_first_message_of_one_ad_click_in_one_second_are_no_reentry(
    ingest_lines, query: Query
) -> None:
    """One click reported twice is one entry, whatever order the ids of the two items happen to
    hash in: at one instant the referral of a Get Started (or a top-level referral) comes
    before the message that repeats it. (Which of the two counted as a re-entry was decided by
    the event keys: about half of these contacts had a re-entry.)"""
    ingest_lines(one_click_in_one_second())
    rows = query("SELECT psid, channel, ad_id, reentry_count FROM contacts ORDER BY psid")
    assert rows == [(who, "ctm_ad", "23843301927710456", 0) for who in PEOPLE]
    assert query("SELECT DISTINCT via, is_first, is_reentry FROM touches ORDER BY via") == [
        ("message", False, False),
        ("postback", True, False),
    ]


def test_a_reentry_referral_and_its_message_in_one_second_are_one_reentry(
    ingest_lines, query: Query
) -> None:
    """An existing contact comes back from a link: the top-level referral and the message that
    repeats its ref, dated to one second, are one re-entry, never two."""
    lines: Lines = []
    for who in PEOPLE:
        ref = f.referral_obj("window_sticker")
        lines.append(f.delivery(f.message(psid=who, ts=T0_S - 86_400, mid=f"m0_{who}")))
        lines.append(f.delivery(f.referral("window_sticker", psid=who, ts=T0_S)))
        lines.append(f.delivery(f.message(psid=who, ts=T0_S, mid=f"m1_{who}", referral=ref)))
    ingest_lines(lines)
    rows = query("SELECT psid, channel, reentry_count FROM contacts ORDER BY psid")
    assert rows == [(who, "organic", 1) for who in PEOPLE]
    assert query("SELECT via, count(*) FROM touches WHERE is_reentry GROUP BY via") == [
        ("referral", len(PEOPLE))
    ]


def one_event_in_two_apps_logs() -> tuple[Lines, Lines]:
    """The same message, referral and reaction as the thread owner's app logged them
    (messaging[]) and as a second app of the page logged them (standby[], while it did not own
    the thread): https://developers.facebook.com/documentation/business-messaging/messenger-platform/webhooks/webhook-events/messaging_handovers"""
    items = [
        f.referral("window_sticker", psid="two_apps", ts=T0),
        f.message(psid="two_apps", ts=T0 + SECOND, mid="m_two_apps"),
        f.reaction("m_page_said", psid="two_apps", ts=T0 + 2 * SECOND),
    ]
    owner = [f.delivery(i) for i in items]
    other_app = [f.delivery(i, container="standby") for i in items]
    return owner, other_app


@pytest.mark.parametrize("batch", [None, "64"])
def test_one_event_in_messaging_and_standby_is_kept_alike_whichever_log_comes_first(
    ingest_lines, query: Query, monkeypatch: pytest.MonkeyPatch, batch: str | None
) -> None:
    """Copies of one event are one event, and which copy stays does not depend on the order the
    logs are read in: the thread owner's (messaging[]) over standby[]'s, in one batch or in
    several of one run. (The first one read stayed: its is_standby was whichever log came
    first, in one run or over two.)"""
    if batch is not None:
        monkeypatch.setenv("REFSCOPE_INGEST_BATCH", batch)  # a batch a line
    owner, other_app = one_event_in_two_apps_logs()
    result = ingest_lines(other_app + owner)
    assert (result.events_added, result.duplicates) == (3, 3)
    assert query("SELECT kind, is_standby FROM events ORDER BY kind") == [
        ("message", False),
        ("reaction", False),
        ("referral", False),
    ]


def test_copies_in_standby_read_first_in_an_earlier_run_give_way_to_messaging(
    ingest_lines, query: Query
) -> None:
    owner, other_app = one_event_in_two_apps_logs()
    ingest_lines(other_app, "second_app.ndjson")
    result = ingest_lines(owner, "owner_app.ndjson")
    assert (result.events_added, result.duplicates) == (0, 3)
    assert query("SELECT kind, is_standby FROM events ORDER BY kind") == [
        ("message", False),
        ("reaction", False),
        ("referral", False),
    ]
    assert query("SELECT psid, channel, message_count, reentry_count FROM contacts") == [
        ("two_apps", "m_me_link", 1, 0)
    ]
