"""Combinations and orders of Meta's documented payloads that no other test reads together,
found by an outside audit of `refscope ingest` against the payload facts: each log is built
as Meta (or the page's send log) writes it and goes through the real pipeline into a real
DuckDB file. Attribution rule: README "Attribution". Items of a wrong type, and the page's
echoes and receipts: test_facts_audit8_items.py. Payloads:
https://developers.facebook.com/docs/messenger-platform/reference/webhook-events
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import tests.factories as f
import tests.factories_feed as ff
from ingest import pipeline
from tests.conftest import Query
from tests.factories import DAY, HOUR, MINUTE, PAGE_ID, T0

SECOND = 1000
ACQUISITION = "SELECT psid, channel, ref, source, first_seen_at, first_touch_at, reentry_count "
PLUGIN_PAGE = "https://www.acmebakery.example/menu"
VISITOR_POST = f"{PAGE_ID}_8001"
Lines = list[dict[str, Any]]


def late_referral() -> Lines:
    return [
        f.delivery(f.message(psid="late", ts=T0)),
        f.delivery(f.referral("flyer", psid="late", ts=T0 + 2 * SECOND)),
    ]


def replies_then_get_started() -> Lines:
    return [
        ff.send_log("4455667788_11", "pb_plain", ts=T0),
        f.delivery(f.postback(psid="pb_plain", ts=T0 + MINUTE)),
        ff.send_log("4455667788_12", "pb_ref", ts=T0),
        f.delivery(f.postback(referral=f.referral_obj("bio"), psid="pb_ref", ts=T0 + MINUTE)),
    ]


def guest_then_logged_in() -> Lines:
    logged_in = f.referral(
        "menu_page",
        "CUSTOMER_CHAT_PLUGIN",
        psid="logged_in",
        ts=T0 + DAY,
        referer_uri=PLUGIN_PAGE,
        is_guest_user=False,
    )
    return [
        f.delivery(f.chat_plugin_referral("ur_guest", ts=T0, is_guest_user=True)),
        f.delivery(f.message(psid="ur_guest", sender={"user_ref": "ur_guest"}, ts=T0 + 5 * SECOND)),
        f.delivery(logged_in),
        f.delivery(f.message(psid="logged_in", ts=T0 + DAY + 5 * SECOND)),
    ]


def standby_only() -> Lines:
    return [
        f.delivery(f.referral("window_sticker", psid="sb", ts=T0), container="standby"),
        f.delivery(f.message(psid="sb", ts=T0 + SECOND), container="standby"),
    ]


def visitor_post_reply_first() -> Lines:
    reply = ff.send_log(psid="visitor", ts=T0, message_id="m_reply_post")
    reply["request"]["recipient"] = {"post_id": VISITOR_POST}
    return [reply, f.delivery(f.message(psid="visitor", ts=T0 + HOUR))]


def commenter_with_a_psids_digits() -> Lines:
    return [
        ff.feed(ff.comment(comment_id="4455667788_777", from_id="6500000000000777")),
        ff.feed(ff.comment(comment_id="4455667788_778", from_id="6500000000000778")),
        f.delivery(f.message(psid="6500000000000777", ts=T0 + DAY)),
    ]


def test_a_referral_seconds_after_the_first_message_is_a_reentry_of_an_organic_contact(
    ingest_lines, query: Query
) -> None:
    """Only a touch at or before the first message acquires: one two seconds after it (the
    user tapped a link into the thread just opened) is a re-entry, however short the gap."""
    ingest_lines(late_referral())
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
    ingest_lines(replies_then_get_started())
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
    ingest_lines(guest_then_logged_in())
    rows = query(
        "SELECT psid, is_user_ref, channel, referer_uri, is_guest_user, message_count "
        "FROM contacts ORDER BY psid"
    )
    assert rows == [
        ("logged_in", False, "chat_widget", PLUGIN_PAGE, False, 1),
        ("ur_guest", True, "chat_widget", PLUGIN_PAGE, True, 1),
    ]


def test_a_referral_and_a_first_message_seen_only_in_standby_acquire_by_the_referral(
    ingest_lines, query: Query
) -> None:
    """While another app (the Page Inbox) owns the thread, the referral and the message come
    in standby[]: the contact is acquired as in messaging[]."""
    ingest_lines(standby_only())
    assert query(ACQUISITION + "FROM contacts") == [
        ("sb", "m_me_link", "window_sticker", "SHORTLINK", f.utc(T0), f.utc(T0), 0)
    ]
    assert query("SELECT DISTINCT is_standby FROM events") == [(True,)]


def test_a_private_reply_to_a_visitor_post_before_the_first_message_acquires_it(
    ingest_lines, query: Query
) -> None:
    ingest_lines(visitor_post_reply_first())
    assert query("SELECT channel, post_id, comment_id, first_touch_at FROM contacts") == [
        ("comment_reply", VISITOR_POST, None, f.utc(T0))
    ]


def test_a_commenter_whose_id_equals_a_psid_is_never_joined_to_that_contact(
    ingest_lines, query: Query
) -> None:
    """A comment's from.id is not a PSID: a comment alone makes no contact, and one whose
    author id happens to equal a contact's PSID leaves that contact as it is."""
    ingest_lines(commenter_with_a_psids_digits())
    assert query(ACQUISITION + "FROM contacts") == [
        ("6500000000000777", "organic", None, None, f.utc(T0 + DAY), None, 0)
    ]
    assert query("SELECT count(*) FROM touches") == [(0,)]
    assert query("SELECT commenter_id FROM events WHERE kind = 'comment' ORDER BY 1") == [
        ("6500000000000777",),
        ("6500000000000778",),
    ]


def handovers_and_an_unreact() -> Lines:
    inbox = "263902037430900"
    take = {"previous_owner_app_id": inbox, "new_owner_app_id": f.APP_ID, "metadata": "bot"}
    request = {"requested_owner_app_id": inbox, "metadata": "a human, please"}
    roles = {"recipient": {"id": PAGE_ID}, "timestamp": T0}
    roles["app_roles"] = {f.APP_ID: ["primary_receiver"]}
    return [
        f.delivery(f.handover("take_thread_control", psid="ho", ts=T0, **take)),
        f.delivery(f.handover("request_thread_control", psid="ho", ts=T0 + SECOND, **request)),
        f.delivery(roles),
        f.delivery(f.reaction(action="unreact", psid="unreact", ts=T0)),
    ]


def test_handover_items_alone_make_no_contact_and_a_reaction_withdrawn_makes_one(
    ingest_lines, query: Query
) -> None:
    """Take and request thread control are about the thread, app_roles about the page's apps
    (no sender): kept as events, they make no contact. Taking a reaction back is the user's
    own act, as giving it is."""
    ingest_lines(handovers_and_an_unreact())
    assert query("SELECT psid, detail FROM events WHERE kind = 'handover' ORDER BY ts, 2") == [
        (None, "app_roles"),
        ("ho", "take_thread_control"),
        ("ho", "request_thread_control"),
    ]
    assert query(ACQUISITION + "FROM contacts") == [
        ("unreact", "organic", None, None, f.utc(T0), None, 0)
    ]
    assert query("SELECT count(*) FROM rejects") == [(0,)]


def optins_of_each_type() -> Lines:
    return [
        f.delivery(
            f.optin(
                psid="otn",
                ts=T0,
                type="one_time_notif_req",
                payload="restock",
                one_time_notif_token="otn-token",
            )
        ),
        f.delivery(
            f.optin(
                psid="stop",
                ts=T0,
                type="notification_messages",
                notification_messages_token="nm-token",
                notification_messages_status="STOP NOTIFICATIONS",
            )
        ),
        # m.me/rn/<PAGE>?topic=deals&cadence=weekly: a ref and SHORTLINK, then a first message.
        f.delivery(
            f.optin(
                psid="rn",
                ts=T0,
                type="notification_messages",
                ref="weekly_deals",
                source="SHORTLINK",
                notification_messages_topic="deals",
                notification_messages_frequency="WEEKLY",
                notification_messages_token="rn-token",
            )
        ),
        f.delivery(f.message(psid="rn", ts=T0 + DAY)),
    ]


def test_optins_without_a_ref_are_organic_and_an_m_me_rn_optin_acquires(
    ingest_lines, query: Query
) -> None:
    ingest_lines(optins_of_each_type())
    assert query(ACQUISITION + "FROM contacts ORDER BY psid") == [
        ("otn", "organic", None, None, f.utc(T0), None, 0),
        ("rn", "m_me_link", "weekly_deals", "SHORTLINK", f.utc(T0), f.utc(T0), 0),
        ("stop", "organic", None, None, f.utc(T0), None, 0),
    ]
    assert query("SELECT psid, detail FROM events WHERE kind = 'optin' ORDER BY psid") == [
        ("otn", "one_time_notif_req"),
        ("rn", "notification_messages"),
        ("stop", "notification_messages"),
    ]


def one_post_of_every_container() -> Lines:
    """One POST batching two pages: an entry holding messaging, standby and changes items at
    once, another page's standby, and the comment's later edit and removal (created_time in s);
    then the same POST again inside the receiver's envelope (Meta's retry)."""
    mixed = f.entry(f.message(psid="mx1", ts=T0), f.referral("r_mx2", psid="mx2", ts=T0))
    mixed["standby"] = [f.message(psid="mx3", ts=T0 + SECOND), f.echo(psid="mx3", ts=T0 + 2000)]
    mixed["changes"] = [ff.comment(comment_id="4455667788_901", from_id="F9")]
    other = f.entry(f.message(psid="mx4", page_id=f.OTHER_PAGE_ID, ts=T0),
                    page_id=f.OTHER_PAGE_ID, container="standby")  # fmt: skip
    later = T0 // 1000 + 60
    edits = {"id": PAGE_ID, "time": later, "changes": [
        ff.comment("edited", comment_id="4455667788_901", from_id="F9", text="Sundays too?",
                  created_time=later),
        ff.comment("remove", comment_id="4455667788_901", from_id="F9", text=None,
                  created_time=later + 60),
    ]}  # fmt: skip
    body = f.batch(mixed, other, edits)
    return [body, f.envelope(body, T0 + 20_000)]


def test_an_entry_with_messaging_standby_and_changes_in_a_batch_of_two_pages_is_read_whole(
    ingest_lines, query: Query
) -> None:
    result = ingest_lines(one_post_of_every_container())
    assert query("SELECT page_id, psid, kind, detail, is_standby FROM events ORDER BY ALL") == [
        (PAGE_ID, "mx1", "message", None, False),
        (PAGE_ID, "mx2", "referral", None, False),
        (PAGE_ID, "mx3", "message", None, True),
        (PAGE_ID, "mx3", "message_echo", None, True),
        (PAGE_ID, None, "comment", "add", False),
        (PAGE_ID, None, "comment", "edited", False),
        (PAGE_ID, None, "comment", "remove", False),
        (f.OTHER_PAGE_ID, "mx4", "message", None, True),
    ]
    assert (result.events_added, result.duplicates) == (8, 8)
    assert query("SELECT page_id, psid, channel FROM contacts ORDER BY ALL") == [
        (PAGE_ID, "mx1", "organic"),
        (PAGE_ID, "mx2", "m_me_link"),
        (PAGE_ID, "mx3", "organic"),
        (f.OTHER_PAGE_ID, "mx4", "organic"),
    ]


def test_these_logs_dealt_over_runs_backwards_and_read_again_give_the_same_tables(
    tmp_path: Path,
) -> None:
    """README "Attribution": a contact touched by a run is recomputed from all its events, so
    the order in which logs arrive changes nothing; read again, nothing changes either."""
    lines = [
        *late_referral(), *replies_then_get_started(), *guest_then_logged_in(),
        *standby_only(), *visitor_post_reply_first(), *commenter_with_a_psids_digits(),
        *handovers_and_an_unreact(), *optins_of_each_type(), *one_post_of_every_container(),
    ]  # fmt: skip

    whole = tmp_path / "whole.duckdb"
    pipeline.run([str(f.write_ndjson(tmp_path / "all" / "all.ndjson", lines))], whole)
    want = Query(whole).read_tables()
    assert len(want["contacts"]) == 16

    # Dealt like cards over four files, so that the lines of one case land in different runs,
    # each file backwards and the last dealt read first.
    apart = tmp_path / "apart.duckdb"
    for n in (3, 2, 1, 0):
        part = list(reversed(lines[n::4]))
        pipeline.run([str(f.write_ndjson(tmp_path / "dealt" / f"part{n}.ndjson", part))], apart)
    assert Query(apart).read_tables() == want
    again = pipeline.run([str(f.write_ndjson(tmp_path / "again.ndjson", lines))], apart)
    assert (again.events_added, again.new_contacts) == (0, 0)
    assert Query(apart).read_tables() == want
