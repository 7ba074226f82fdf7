"""An ad's message.referral that repeats the touch before it is one click reported twice only
when it is the first message since that touch (README "Attribution"). Meta puts an ad's
referral on the first message a person sends after clicking the ad, so a later message carrying
it again is another click on the same ad: a re-entry.
https://developers.facebook.com/documentation/business-messaging/messenger-platform/webhooks/webhook-events/messages
"""

from __future__ import annotations

import tests.factories as f
from tests.conftest import Query
from tests.factories import HOUR, MINUTE, T0


def test_the_same_ad_clicked_again_after_a_chat_is_a_reentry(ingest_lines, query: Query) -> None:
    """A person clicks an ad and writes, chats on, and an hour later clicks the same ad again
    and writes: two clicks, so the second message's referral is a re-entry."""
    ad = f.ads_referral()
    ingest_lines(
        [
            f.delivery(f.message("price?", psid="again", ts=T0, mid="m_a1", referral=ad)),
            f.delivery(f.message("thanks, bye", psid="again", ts=T0 + MINUTE, mid="m_a2")),
            f.delivery(f.message("hi again", psid="again", ts=T0 + HOUR, mid="m_a3", referral=ad)),
        ]
    )
    assert query("SELECT channel, reentry_count, message_count FROM contacts") == [("ctm_ad", 1, 3)]
    assert query("SELECT is_first, is_reentry FROM touches ORDER BY ts") == [
        (True, False),
        (False, True),
    ]


def test_two_messages_each_with_the_ad_referral_are_two_clicks(ingest_lines, query: Query) -> None:
    """The message that carried the ad's referral was the click's first message: the next one
    carrying it again comes from another click."""
    ad = f.ads_referral()
    ingest_lines(
        [
            f.delivery(f.message("hi", psid="twice", ts=T0, mid="m_b1", referral=ad)),
            f.delivery(f.message("me again", psid="twice", ts=T0 + HOUR, mid="m_b2", referral=ad)),
        ]
    )
    assert query("SELECT channel, reentry_count FROM contacts") == [("ctm_ad", 1)]


def test_a_get_started_or_reentry_then_its_first_message_stay_one_click(
    ingest_lines, query: Query
) -> None:
    """Unchanged: Get Started from the ad, then the first message with the same ad's referral,
    is one click (no re-entry); a re-entry referral, then its message, is one re-entry."""
    ad = f.ads_referral()
    ingest_lines(
        [
            f.delivery(f.postback(referral=ad, psid="gs", ts=T0, mid="pb_gs")),
            f.delivery(f.message("price?", psid="gs", ts=T0 + MINUTE, mid="m_gs", referral=ad)),
            f.delivery(f.message("hello", psid="back", ts=T0, mid="m_back0")),
            f.delivery(f.referral(psid="back", ts=T0 + 2 * HOUR) | {"referral": ad}),
            f.delivery(
                f.message("still on?", psid="back", ts=T0 + 3 * HOUR, mid="m_back1", referral=ad)
            ),
        ]
    )
    rows = query("SELECT psid, channel, reentry_count FROM contacts ORDER BY psid")
    assert rows == [("back", "organic", 1), ("gs", "ctm_ad", 0)]


def test_a_get_started_from_an_ad_takes_its_title_from_the_first_message(
    ingest_lines, query: Query
) -> None:
    """Meta's postback.referral names the ad (ad_id) but carries no ads_context_data; the first
    message after it repeats the same click with the ad's title and post
    (https://developers.facebook.com/documentation/business-messaging/messenger-platform/webhooks/webhook-events/messaging_postbacks,
    .../webhook-events/messages). The contact keeps the click's title and post."""
    ad = f.ads_referral()
    bare = {k: v for k, v in ad.items() if k != "ads_context_data"}
    other = f.ads_referral(ad_id="23843301927710999", ad_title="Another ad", post_id="1_2")
    ingest_lines(
        [
            f.delivery(f.postback(referral=bare, psid="gs", ts=T0, mid="pb_gs")),
            f.delivery(f.message("price?", psid="gs", ts=T0 + MINUTE, mid="m_gs", referral=ad)),
            # Another ad's click later is a re-entry: its title is not the acquisition's.
            f.delivery(f.postback(referral=bare, psid="re", ts=T0, mid="pb_re")),
            f.delivery(f.message("hi", psid="re", ts=T0 + MINUTE, mid="m_re")),
            f.delivery(f.message("again", psid="re", ts=T0 + HOUR, mid="m_re2", referral=other)),
        ]
    )
    rows = query("SELECT psid, channel, ad_id, ad_title, post_id, reentry_count FROM contacts")
    title, post = "Fresh sourdough every morning", f"{f.PAGE_ID}_4455667788"
    assert sorted(rows) == [
        ("gs", "ctm_ad", ad["ad_id"], title, post, 0),
        ("re", "ctm_ad", ad["ad_id"], None, None, 1),
    ]
