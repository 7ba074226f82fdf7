"""Combinations and orders of Meta's documented payloads that no other test reads together,
found by an outside audit of `refscope ingest` against the payload facts: each log is built
as Meta (or the page's send log) writes it and goes through the real pipeline into a real
DuckDB file. Attribution rule: README "Attribution". Payloads:
https://developers.facebook.com/docs/messenger-platform/reference/webhook-events
"""

from __future__ import annotations

import tests.factories as f
from tests.conftest import Query
from tests.factories import DAY, HOUR, MINUTE, PAGE_ID, T0

SECOND = 1000
ACQUISITION = "SELECT psid, channel, ref, source, first_seen_at, first_touch_at, reentry_count "


def test_a_referral_seconds_after_the_first_message_is_a_reentry_of_an_organic_contact(
    ingest_lines, query: Query
) -> None:
    """Only a touch at or before the first message acquires: one two seconds after it (the
    user tapped a link into the thread just opened) is a re-entry, however short the gap."""
    ingest_lines(
        [
            f.delivery(f.message(psid="late", ts=T0)),
            f.delivery(f.referral("flyer", psid="late", ts=T0 + 2 * SECOND)),
        ]
    )
    assert query(ACQUISITION + "FROM contacts") == [
        ("late", "organic", None, None, f.utc(T0), None, 1)
    ]
    assert query("SELECT via, ref, is_first, is_reentry FROM touches") == [
        ("referral", "flyer", False, True)
    ]


def test_a_private_reply_before_get_started_acquires_the_contact(
    ingest_lines, query: Query
) -> None:
    """A postback opens the conversation as a first message does: a private reply sent before
    it acquires the contact, and a Get Started referral after the reply is a re-entry."""
    ingest_lines(
        [
            f.send_log("4455667788_11", "pb_plain", ts=T0),
            f.delivery(f.postback(psid="pb_plain", ts=T0 + MINUTE)),
            f.send_log("4455667788_12", "pb_ref", ts=T0),
            f.delivery(f.postback(referral=f.referral_obj("bio"), psid="pb_ref", ts=T0 + MINUTE)),
        ]
    )
    rows = query(
        "SELECT psid, channel, comment_id, first_seen_at, first_touch_at, postback_count, "
        "reentry_count FROM contacts ORDER BY psid"
    )
    assert rows == [
        ("pb_plain", "comment_reply", "4455667788_11", f.utc(T0 + MINUTE), f.utc(T0), 1, 0),
        ("pb_ref", "comment_reply", "4455667788_12", f.utc(T0 + MINUTE), f.utc(T0), 1, 1),
    ]


def test_a_chat_plugin_guest_and_the_same_person_logged_in_are_two_widget_contacts(
    ingest_lines, query: Query
) -> None:
    """A guest of the chat plugin is known by a user_ref, the same person logged in by a PSID:
    nothing in the payloads joins the two, so each is a chat_widget contact of its own, with
    its is_guest_user and referer_uri."""
    uri = "https://www.acmebakery.example/menu"
    ingest_lines(
        [
            f.delivery(f.chat_plugin_referral("ur_guest", ts=T0, is_guest_user=True)),
            f.delivery(
                f.message(psid="ur_guest", sender={"user_ref": "ur_guest"}, ts=T0 + 5 * SECOND)
            ),
            f.delivery(
                f.referral(
                    "menu_page",
                    "CUSTOMER_CHAT_PLUGIN",
                    psid="logged_in",
                    ts=T0 + DAY,
                    referer_uri=uri,
                    is_guest_user=False,
                )
            ),
            f.delivery(f.message(psid="logged_in", ts=T0 + DAY + 5 * SECOND)),
        ]
    )
    rows = query(
        "SELECT psid, is_user_ref, channel, referer_uri, is_guest_user, message_count "
        "FROM contacts ORDER BY psid"
    )
    assert rows == [
        ("logged_in", False, "chat_widget", uri, False, 1),
        ("ur_guest", True, "chat_widget", uri, True, 1),
    ]


def test_a_referral_and_a_first_message_seen_only_in_standby_acquire_by_the_referral(
    ingest_lines, query: Query
) -> None:
    """While another app (the Page Inbox) owns the thread, the referral and the message come
    in standby[]: the contact is acquired as in messaging[]."""
    ingest_lines(
        [
            f.delivery(f.referral("window_sticker", psid="sb", ts=T0), container="standby"),
            f.delivery(f.message(psid="sb", ts=T0 + SECOND), container="standby"),
        ]
    )
    assert query(ACQUISITION + "FROM contacts") == [
        ("sb", "m_me_link", "window_sticker", "SHORTLINK", f.utc(T0), f.utc(T0), 0)
    ]
    assert query("SELECT DISTINCT is_standby FROM events") == [(True,)]


def test_a_private_reply_to_a_visitor_post_before_the_first_message_acquires_it(
    ingest_lines, query: Query
) -> None:
    post_id = f"{PAGE_ID}_8001"
    reply = f.send_log(psid="visitor", ts=T0, message_id="m_reply_post")
    reply["request"]["recipient"] = {"post_id": post_id}
    ingest_lines([reply, f.delivery(f.message(psid="visitor", ts=T0 + HOUR))])
    assert query("SELECT channel, post_id, comment_id, first_touch_at FROM contacts") == [
        ("comment_reply", post_id, None, f.utc(T0))
    ]


def test_a_commenter_whose_id_equals_a_psid_is_never_joined_to_that_contact(
    ingest_lines, query: Query
) -> None:
    """A comment's from.id is not a PSID: a comment alone makes no contact, and one whose
    author id happens to equal a contact's PSID leaves that contact as it is."""
    ingest_lines(
        [
            f.feed(f.comment(comment_id="4455667788_777", from_id="6500000000000777")),
            f.feed(f.comment(comment_id="4455667788_778", from_id="6500000000000778")),
            f.delivery(f.message(psid="6500000000000777", ts=T0 + DAY)),
        ]
    )
    assert query(ACQUISITION + "FROM contacts") == [
        ("6500000000000777", "organic", None, None, f.utc(T0 + DAY), None, 0)
    ]
    assert query("SELECT count(*) FROM touches") == [(0,)]
    assert query("SELECT commenter_id FROM events WHERE kind = 'comment' ORDER BY 1") == [
        ("6500000000000777",),
        ("6500000000000778",),
    ]
