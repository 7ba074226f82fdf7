"""Realistic sequences of public fixtures, one person each: the touches and contacts README
"Attribution" gives, in order and reversed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Query
from tests.factories import utc
from tests.ingest.public_fixtures import (
    TOUCH_COLUMNS,
    Json,
    _contacts,
    _ingest,
    contact,
    entry,
    feed,
    s,
    touch,
)


def _touches(query: Query) -> list[Json]:
    return query.dicts(f"SELECT {', '.join(TOUCH_COLUMNS)} FROM touches ORDER BY ts, via")


# ---------------------------------------------------------------------------------------------
# Realistic sequences made of the public fixtures, one person each, with what attribution must
# give (README "Attribution").
S_PAGE = "1134713619900975"
DAY = 86_400_000


def _msg(psid: str, ts: int, mid: str, **extra: Any) -> Json:
    # bottender textMessage's shape
    return entry(
        S_PAGE,
        {
            "sender": {"id": psid},
            "recipient": {"id": S_PAGE},
            "timestamp": ts,
            "message": {"mid": mid, "seq": 348847, "text": "hi"} | extra,
        },
        time=ts,
    )


def _ref(psid: str, ts: int, referral: Json, sender: str = "id") -> Json:
    # bottender linkReferral's shape
    return entry(
        S_PAGE,
        {
            "recipient": {"id": S_PAGE},
            "timestamp": ts,
            "sender": {sender: psid},
            "referral": referral,
        },
        time=ts,
    )


T = 1522222894827  # bottender postbackReferral's instant
# fmt: off
SEQUENCES: dict[str, tuple[list[Json], list[Json], list[Json]]] = {
    # Get Started from an m.me link (bottender postbackReferral), two messages, and a day later
    # the existing thread re-entered from another link (bottender linkReferral).
    "get_started_then_reentry": (
        [entry(S_PAGE, {"recipient": {"id": S_PAGE}, "timestamp": T, "sender": {"id": "gs"},
                        "postback": {"payload": "__GET_STARTED__", "title": "Get Started",
                                     "referral": {"source": "SHORTLINK", "type": "OPEN_THREAD",
                                                  "ref": "aaaa"}}}, time=T),
         _msg("gs", T + 4000, "m_gs_1"),
         _msg("gs", T + 60_000, "m_gs_2"),
         _ref("gs", T + DAY, {"ref": "flyer", "source": "SHORTLINK", "type": "OPEN_THREAD"}),
         _msg("gs", T + DAY + 5000, "m_gs_3")],
        [touch(page_id=S_PAGE, psid="gs", ts=utc(T), via="postback", channel="m_me_link",
               ref="aaaa", source="SHORTLINK", is_first=True),
         touch(page_id=S_PAGE, psid="gs", ts=utc(T + DAY), via="referral", channel="m_me_link",
               ref="flyer", source="SHORTLINK", is_reentry=True)],
        [contact(page_id=S_PAGE, psid="gs", channel="m_me_link", ref="aaaa", source="SHORTLINK",
                 first_seen_at=utc(T), first_touch_at=utc(T), first_message_at=utc(T + 4000),
                 message_count=3, postback_count=1, reentry_count=1)],
    ),
    # An organic thread, re-entered later from a link: still organic, one re-entry.
    "organic_then_link": (
        [_msg("org", T, "m_org_1"),
         _ref("org", T + DAY, {"ref": "aaaa", "source": "SHORTLINK", "type": "OPEN_THREAD"})],
        [touch(page_id=S_PAGE, psid="org", ts=utc(T + DAY), via="referral", channel="m_me_link",
               ref="aaaa", source="SHORTLINK", is_reentry=True)],
        [contact(page_id=S_PAGE, psid="org", channel="organic", first_seen_at=utc(T),
                 first_message_at=utc(T), message_count=1, reentry_count=1)],
    ),
    # A Click-to-Messenger ad's first message (message.referral, as in Meta's messages page).
    "ctm_ad_message": (
        [_msg("ctm", T, "m_ctm_1", referral={
            "ref": "spring", "ad_id": "6045246247433", "source": "ADS", "type": "OPEN_THREAD",
            "ads_context_data": {"ad_title": "Spring sale", "photo_url": "https://x/a.jpg",
                                 "post_id": "1134713619900975_77"}}),
         _msg("ctm", T + 30_000, "m_ctm_2")],
        [touch(page_id=S_PAGE, psid="ctm", ts=utc(T), via="message", channel="ctm_ad",
               ref="spring", source="ADS", is_first=True)],
        [contact(page_id=S_PAGE, psid="ctm", channel="ctm_ad", ref="spring", source="ADS",
                 ad_id="6045246247433", first_seen_at=utc(T), first_touch_at=utc(T),
                 first_message_at=utc(T), message_count=2)],
    ),
    # courier referral_seconds.json's referral (in seconds), then a message later within the
    # same second (in milliseconds): the referral came first and acquires the contact.
    "referral_seconds_then_message": (
        [_ref("sec", 1701599111, {"ref": "referral id", "source": "SHORTLINK",
                                  "type": "OPEN_THREAD"}),
         _msg("sec", 1701599111500, "m_sec_1")],
        [touch(page_id=S_PAGE, psid="sec", ts=s(1701599111), via="referral",
               channel="m_me_link", ref="referral id", source="SHORTLINK", is_first=True)],
        [contact(page_id=S_PAGE, psid="sec", channel="m_me_link", ref="referral id",
                 source="SHORTLINK", first_seen_at=s(1701599111), first_touch_at=s(1701599111),
                 first_message_at=utc(1701599111500), message_count=1)],
    ),
    # The chat plugin after v7.0: referral, message and the page's echo all by user_ref,
    # referer_uri and is_guest_user kept (Meta's messaging_referrals reference).
    "chat_plugin_user_ref": (
        [_ref("ur_7fa3", T, {"ref": "home", "source": "CUSTOMER_CHAT_PLUGIN",
                             "type": "OPEN_THREAD", "referer_uri": "https://shop.example/p?id=7",
                             "is_guest_user": True}, sender="user_ref"),
         entry(S_PAGE, {"sender": {"user_ref": "ur_7fa3"}, "recipient": {"id": S_PAGE},
                        "timestamp": T + 9000, "message": {"mid": "m_cp_1", "text": "hello"}},
               time=T + 9000),
         entry(S_PAGE, {"sender": {"id": S_PAGE}, "recipient": {"user_ref": "ur_7fa3"},
                        "timestamp": T + 20_000, "message": {
                            "is_echo": True, "app_id": 1821152484774199, "mid": "m_cp_echo",
                            "text": "Hi!"}}, time=T + 20_000)],
        [touch(page_id=S_PAGE, psid="ur_7fa3", ts=utc(T), via="referral", channel="chat_widget",
               ref="home", source="CUSTOMER_CHAT_PLUGIN", is_first=True)],
        [contact(page_id=S_PAGE, psid="ur_7fa3", is_user_ref=True, channel="chat_widget",
                 ref="home", source="CUSTOMER_CHAT_PLUGIN",
                 referer_uri="https://shop.example/p?id=7", is_guest_user=True,
                 first_seen_at=utc(T), first_touch_at=utc(T), first_message_at=utc(T + 9000),
                 message_count=1, page_message_count=1)],
    ),
    # A comment (bottender-facebook videoCommentAdd's shape), the page's private reply with the
    # comment id in its Send API metadata (its echo, bottender's echoRequest shape), then the
    # person's reply: comment_reply, and the commenter's id is never the contact.
    "private_reply_echo": (
        [feed(S_PAGE, {"from": {"id": "1440971912666228", "name": "Ann"}, "item": "comment",
                       "comment_id": "77_1001", "post_id": "1134713619900975_77",
                       "verb": "add", "parent_id": "1134713619900975_77",
                       "created_time": T // 1000, "message": "price?"}),
         entry(S_PAGE, {"sender": {"id": S_PAGE}, "recipient": {"id": "pr"},
                        "timestamp": T + 60_000, "message": {
                            "is_echo": True, "app_id": 1821152484774199,
                            "metadata": '{"comment_id": "77_1001"}', "mid": "m_pr_echo",
                            "text": "Hi Ann, here is the price"}}, time=T + 60_000),
         _msg("pr", T + 300_000, "m_pr_1")],
        [touch(page_id=S_PAGE, psid="pr", ts=utc(T + 60_000), via="message_echo",
               channel="comment_reply", is_first=True)],
        [contact(page_id=S_PAGE, psid="pr", channel="comment_reply", comment_id="77_1001",
                 first_seen_at=utc(T + 300_000), first_touch_at=utc(T + 60_000),
                 first_message_at=utc(T + 300_000), message_count=1, page_message_count=1)],
    ),
}

# fmt: on


@pytest.mark.parametrize("name", list(SEQUENCES))
def test_a_sequence_of_public_fixtures_is_attributed_by_the_rule(tmp_path: Path, name: str) -> None:
    lines, touches, contacts = SEQUENCES[name]
    query = _ingest(tmp_path, lines)
    assert query("SELECT reason FROM rejects") == []
    assert _touches(query) == touches
    assert _contacts(query) == contacts
    # The same lines in reverse order (logs arriving out of order) give the same tables.
    again = _ingest(tmp_path / "reversed", lines[::-1])
    assert (_touches(again), _contacts(again)) == (touches, contacts)
