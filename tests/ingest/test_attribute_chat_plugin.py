"""Attribution through Messenger's chat plugin on a website (channel chat_widget): its referral
for a user_ref, and the tag its messages carry, which stands in only for a lost referral
(test_attribute.py: the other channel rules).
"""

from __future__ import annotations

from typing import Any

import pytest

import tests.factories as f
from tests.conftest import Query
from tests.factories import HOUR, MINUTE, T0, utc
from tests.ingest.logs import contact


def test_chat_plugin_user_ref_is_chat_widget(ingest_lines, query: Query) -> None:
    ingest_lines(
        [
            f.delivery(f.chat_plugin_referral("uref-1", ts=T0)),
            f.delivery(f.message("hello", psid="uref-1", sender={"user_ref": "uref-1"},
                                 ts=T0 + 5000)),
        ]
    )  # fmt: skip
    c = contact(query, "uref-1")
    assert {k: c[k] for k in ("channel", "is_user_ref", "referer_uri", "is_guest_user")} == {
        "channel": "chat_widget",
        "is_user_ref": True,
        "referer_uri": "https://www.acmebakery.example/menu",
        "is_guest_user": True,
    }
    assert query("SELECT count(*) FROM contacts") == [(1,)]


PLUGIN_TAGS = [{"source": "customer_chat_plugin"}]


def test_chat_plugin_tagged_first_message_is_chat_widget_without_a_referral(
    ingest_lines, query: Query
) -> None:
    # The widget's referral was lost; its messages still carry the plugin's tag.
    uref = {"user_ref": "uref-2"}
    ingest_lines(
        [f.delivery(f.message(text, psid="uref-2", sender=uref, ts=T0 + i * MINUTE,
                              tags=PLUGIN_TAGS)) for i, text in enumerate(["hi", "open?", "ok"])]
    )  # fmt: skip
    c = contact(query, "uref-2")
    # Meta sent no source: none is made up (the raw source is what Meta sent, or nothing).
    assert (c["channel"], c["ref"], c["source"], c["first_touch_at"], c["reentry_count"]) == (
        "chat_widget", None, None, utc(T0), 0)  # fmt: skip
    assert query("SELECT DISTINCT source FROM events") == [(None,)]
    # One touch, the first message: later tagged messages are neither touches nor re-entries.
    assert query("SELECT via, is_first, is_reentry FROM touches") == [("message", True, False)]


def test_chat_plugin_tag_never_outranks_a_referral(ingest_lines, query: Query) -> None:
    ingest_lines(
        [
            f.delivery(f.referral("bio_link", psid="u1", ts=T0)),
            f.delivery(f.message("hi", psid="u1", ts=T0 + MINUTE, tags=PLUGIN_TAGS)),
            f.delivery(f.message("hey", psid="u2", ts=T0, tags=[{"source": "other_thing"}])),
        ]
    )
    assert (contact(query, "u1")["channel"], contact(query, "u2")["channel"]) == (
        "m_me_link", "organic")  # fmt: skip
    assert query("SELECT psid, channel FROM touches") == [("u1", "m_me_link")]


def test_a_plugin_get_started_without_its_referral_then_a_tagged_message_is_chat_widget(
    ingest_lines, query: Query
) -> None:
    """The plugin's Get Started lost its referral as its message did: the postback opened the
    conversation, and the first message, which the plugin tagged, came a minute later. It
    was organic: the tag counted only on a message that opened the conversation itself."""
    uref = {"user_ref": "uref-7"}
    ingest_lines(
        [
            f.delivery(f.postback(psid="uref-7", sender=uref, ts=T0)),
            f.delivery(
                f.message("hi", psid="uref-7", sender=uref, ts=T0 + MINUTE, tags=PLUGIN_TAGS)
            ),  # fmt: skip
            f.delivery(
                f.message("ok", psid="uref-7", sender=uref, ts=T0 + 2 * MINUTE, tags=PLUGIN_TAGS)
            ),  # fmt: skip
        ]
    )
    c = contact(query, "uref-7")
    assert (c["channel"], c["first_seen_at"], c["first_touch_at"], c["reentry_count"]) == (
        "chat_widget", utc(T0), utc(T0 + MINUTE), 0)  # fmt: skip
    assert query("SELECT via, ts, is_first, is_reentry FROM touches") == [
        ("message", utc(T0 + MINUTE), True, False)
    ]


@pytest.mark.parametrize(
    "later",
    [
        pytest.param([("hi", None, MINUTE), ("ok", PLUGIN_TAGS, 2 * MINUTE)], id="second-tagged"),
        pytest.param([("hi", PLUGIN_TAGS, 25 * HOUR)], id="tagged-a-day-later"),
    ],
)
def test_a_get_started_then_no_tagged_first_message_that_day_stays_organic(
    ingest_lines, query: Query, later: list[tuple[str, Any, int]]
) -> None:
    """Only the first message stands for a lost Get Started referral, and only in the 24 hours
    the Get Started opened: a tagged second message, or a first one a day later (another
    conversation), says nothing of how the first began."""
    ingest_lines(
        [f.delivery(f.postback(psid="u9", ts=T0))]
        + [
            f.delivery(f.message(text, psid="u9", ts=T0 + at, **({"tags": tags} if tags else {})))
            for text, tags, at in later
        ]
    )
    assert contact(query, "u9")["channel"] == "organic"
    assert query("SELECT count(*) FROM touches") == [(0,)]


def test_a_tagged_message_with_a_referral_of_its_own_is_that_referral(
    ingest_lines, query: Query
) -> None:
    """The plugin's tag stands in only for a missing referral: a tagged message that carries
    one (an ad's) is that referral's touch, and later in a conversation a re-entry."""
    ingest_lines(
        [
            f.delivery(f.referral("bio_link", psid="u1", ts=T0)),
            f.delivery(f.message("hi", psid="u1", ts=T0 + MINUTE)),
            f.delivery(f.message("about the ad", psid="u1", ts=T0 + HOUR,
                                 referral=f.ads_referral(), tags=PLUGIN_TAGS)),
        ]
    )  # fmt: skip
    c = contact(query, "u1")
    assert (c["channel"], c["reentry_count"]) == ("m_me_link", 1)
    assert query("SELECT via, channel, is_first, is_reentry FROM touches ORDER BY ts") == [
        ("referral", "m_me_link", True, False), ("message", "ctm_ad", False, True)]  # fmt: skip
