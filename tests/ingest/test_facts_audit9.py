"""Combinations of Meta's documented payloads found by a ninth outside audit of `refscope ingest`
against the payload facts, each built as Meta sends it and read through the real pipeline into a
real DuckDB file. Attribution rule: README "Attribution". Payloads:
https://developers.facebook.com/docs/messenger-platform/reference/webhook-events
"""

from __future__ import annotations

from typing import Any

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
