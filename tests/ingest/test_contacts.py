"""Contacts: re-entries, which events make a contact, engagement, and that the order in which
logs arrive changes nothing (channels themselves: test_attribute.py).

Every other referral after a contact's first action is a re-entry touch, never a new contact.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import tests.factories as f
import tests.factories_feed as ff
from ingest import pipeline
from tests.conftest import Query
from tests.factories import DAY, HOUR, MINUTE, OTHER_PAGE_ID, PAGE_ID, T0, utc
from tests.ingest.logs import contact, get_started

PHOTO = {"type": "image", "payload": {"url": "https://example.com/p.jpg"}}


def test_later_referrals_are_reentries_and_keep_the_channel(ingest_lines, query: Query) -> None:
    ingest_lines(
        get_started("u1", ref="bio_link")
        + [
            f.delivery(f.referral(psid="u1", ts=T0 + 2 * DAY) | {"referral": f.ads_referral()}),
            f.delivery(f.referral("qr_receipt", psid="u1", ts=T0 + 3 * DAY)),
        ]
    )
    c = contact(query, "u1")
    assert (c["channel"], c["ref"], c["reentry_count"]) == ("m_me_link", "bio_link", 2)
    touches = query("SELECT ts, via, channel, is_first, is_reentry FROM touches ORDER BY ts")
    assert touches == [
        (utc(T0), "postback", "m_me_link", True, False),
        (utc(T0 + 2 * DAY), "referral", "ctm_ad", False, True),
        (utc(T0 + 3 * DAY), "referral", "m_me_link", False, True),
    ]
    assert query("SELECT count(*) FROM contacts") == [(1,)]


def test_later_optins_with_a_ref_are_reentries(ingest_lines, query: Query) -> None:
    """An optin with a ref is a touch (README "Attribution"): after the first action, one from
    an m.me/rn link (ref, source SHORTLINK) or the Send to Messenger plugin (data-ref, no
    source) is a re-entry, as a referral is.
    https://developers.facebook.com/documentation/business-messaging/messenger-platform/webhooks/webhook-events/messaging_optins
    """
    ingest_lines(
        [
            f.delivery(f.message("hi", psid="u1", ts=T0)),
            f.delivery(f.optin(psid="u1", ts=T0 + DAY, type="notification_messages",
                               payload="P", ref="rn_weekly", source="SHORTLINK")),
            f.delivery(f.optin(psid="u1", ts=T0 + 2 * DAY, ref="stm_receipt")),
        ]
    )  # fmt: skip
    c = contact(query, "u1")
    assert (c["channel"], c["reentry_count"]) == ("organic", 2)
    assert query("SELECT via, channel, ref, is_first, is_reentry FROM touches ORDER BY ts") == [
        ("optin", "m_me_link", "rn_weekly", False, True),
        ("optin", "other", "stm_receipt", False, True),
    ]


def test_a_second_referral_before_the_first_message_is_a_reentry(
    ingest_lines, query: Query
) -> None:
    # The user opened the thread from a link, left without writing, came back from an ad and
    # wrote: the link acquired the contact, the ad is a re-entry (counted, not lost).
    ingest_lines(
        [
            f.delivery(f.referral("site_footer", psid="u1", ts=T0)),
            f.delivery(f.referral(psid="u1", ts=T0 + HOUR) | {"referral": f.ads_referral()}),
            f.delivery(f.message(psid="u1", ts=T0 + HOUR + 5000)),
        ]
    )
    c = contact(query, "u1")
    assert (c["channel"], c["ref"], c["reentry_count"]) == ("m_me_link", "site_footer", 1)
    assert query("SELECT channel, is_first, is_reentry FROM touches ORDER BY ts") == [
        ("m_me_link", True, False),
        ("ctm_ad", False, True),
    ]


def test_reentry_found_in_a_later_run_updates_thecontact(ingest_lines, query: Query) -> None:
    ingest_lines(get_started("u1"), name="day1.ndjson")
    result = ingest_lines([f.delivery(f.referral("qr_receipt", psid="u1", ts=T0 + DAY))],
                          name="day2.ndjson")  # fmt: skip
    assert result.new_contacts == 0
    c = contact(query, "u1")
    assert (c["channel"], c["reentry_count"], c["last_seen_at"]) == (
        "m_me_link",
        1,
        utc(T0 + DAY),
    )


def test_receipts_and_echoes_alone_make_nocontact(ingest_lines, query: Query) -> None:
    result = ingest_lines(
        [
            f.delivery(f.echo(psid="u1", ts=T0)),
            f.delivery(f.echo(psid="u2", ts=T0, reverse=True)),
            f.delivery(f.delivery_receipt(["m_x"], T0, psid="u1", ts=T0 + 1)),
            f.delivery(f.read_receipt(T0, psid="u1", ts=T0 + 2)),
        ]
    )
    assert result.events_added == 4
    assert query("SELECT count(*) FROM contacts") == [(0,)]
    assert result.new_contacts == 0


def test_same_psid_on_two_pages_is_two_contacts(ingest_lines, query: Query) -> None:
    ingest_lines(
        get_started("u1", ref="bio_link")
        + [f.delivery(f.message(psid="u1", page_id=OTHER_PAGE_ID), page_id=OTHER_PAGE_ID)]
    )
    assert query("SELECT page_id, channel FROM contacts ORDER BY page_id") == [
        (PAGE_ID, "m_me_link"),
        (OTHER_PAGE_ID, "organic"),
    ]


def test_engagement_columns(ingest_lines, query: Query) -> None:
    second = f.message("do you deliver?", psid="u1", ts=T0 + 5 * MINUTE, mid="m_2")
    ingest_lines(
        [
            f.delivery(f.postback(psid="u1", ts=T0)),
            f.delivery(f.message("hi", psid="u1", ts=T0 + MINUTE, mid="m_1")),
            f.delivery(f.echo(psid="u1", ts=T0 + 2 * MINUTE)),
            f.delivery(f.delivery_receipt(["m_e"], T0 + 2 * MINUTE, psid="u1", ts=T0 + 3000)),
            f.delivery(f.read_receipt(T0 + 2 * MINUTE, psid="u1", ts=T0 + 3 * MINUTE)),
            f.delivery(second),
            f.delivery(second, time=T0 + 6 * MINUTE),  # Meta retried the POST
            f.delivery(f.message("bye", psid="u1", ts=T0 + HOUR, mid="m_3")),
            f.delivery(f.echo("see you", psid="u1", ts=T0 + 2 * HOUR, mid="m_e2")),
        ]
    )
    c = contact(query, "u1")
    expected = {
        "first_seen_at": utc(T0),
        "first_message_at": utc(T0 + MINUTE),
        "second_message_at": utc(T0 + 5 * MINUTE),
        "last_message_at": utc(T0 + HOUR),
        "message_count": 3,
        "postback_count": 1,
        "page_message_count": 2,
        "last_read_at": utc(T0 + 2 * MINUTE),
        "last_seen_at": utc(T0 + HOUR),
    }
    assert {k: c[k] for k in expected} == expected


def test_an_echo_sent_at_the_read_watermark_is_read(ingest_lines, query: Query) -> None:
    """A read's watermark: every message sent before or at it was read (Meta's message_reads
    reference); an echo after it was not."""
    ingest_lines(
        [
            f.delivery(f.message("hi", psid="u1", ts=T0)),
            f.delivery(f.echo("hello!", psid="u1", ts=T0 + MINUTE, mid="m_e1")),
            f.delivery(f.echo("anything else?", psid="u1", ts=T0 + 2 * MINUTE, mid="m_e2")),
            f.delivery(f.read_receipt(T0 + MINUTE, psid="u1", ts=T0 + 3 * MINUTE)),
        ]
    )
    c = contact(query, "u1")
    assert (c["page_message_count"], c["page_messages_read"]) == (2, 1)


def test_last_message_at_is_the_last_inbound_message(ingest_lines, query: Query) -> None:
    """A postback or a reaction after the last message is seen (last_seen_at), not a message."""
    ingest_lines(
        [
            f.delivery(f.message("hi", psid="u1", ts=T0)),
            f.delivery(f.postback("MENU", psid="u1", ts=T0 + HOUR)),
            f.delivery(f.reaction("m_e", psid="u1", ts=T0 + 2 * HOUR)),
        ]
    )
    c = contact(query, "u1")
    assert (c["last_message_at"], c["last_seen_at"]) == (utc(T0), utc(T0 + 2 * HOUR))


def test_contact_days_count_inbound_messages_only(ingest_lines, query: Query) -> None:
    """contact_days holds the days a contact sent inbound messages (README, the SQL contract):
    a day with only a postback, a reaction or the page's reply is not one, and each day's
    messages add up to the contact's message_count."""
    ingest_lines(
        [
            f.delivery(f.postback(psid="u1", ts=T0)),
            f.delivery(f.message("hi", psid="u1", ts=T0 + MINUTE, mid="m_1")),
            f.delivery(f.postback("MENU", psid="u1", ts=T0 + DAY)),
            f.delivery(f.reaction("m_e", psid="u1", ts=T0 + DAY + MINUTE)),
            f.delivery(f.echo("see you", psid="u1", ts=T0 + 2 * DAY, mid="m_e2")),
            f.delivery(f.message("back", psid="u1", ts=T0 + 3 * DAY, mid="m_2")),
        ]
    )
    days = query("SELECT day, messages FROM contact_days ORDER BY day")
    assert days == [(utc(T0).date(), 1), (utc(T0 + 3 * DAY).date(), 1)]
    assert contact(query, "u1")["message_count"] == sum(n for _, n in days)


def test_one_message_has_no_second_message(ingest_lines, query: Query) -> None:
    ingest_lines([f.delivery(f.message(psid="u1"))])
    c = contact(query, "u1")
    assert (c["message_count"], c["second_message_at"]) == (1, None)


def test_two_messages_of_one_instant_are_not_a_second_message_after_the_first(
    ingest_lines, query: Query
) -> None:
    """Engaged is "a second inbound message after the first" (schema.sql, README): a text and
    a photo sent in one go arrive as two messages of one millisecond, and made a contact who
    never wrote again engaged, its second message at its first."""
    ingest_lines(
        [
            f.delivery(f.message("hi", psid="u1", ts=T0, mid="m_a"),
                       f.message(None, psid="u1", ts=T0, mid="m_b", attachments=[PHOTO])),
            f.delivery(f.message("hi", psid="u2", ts=T0, mid="m_c"),
                       f.message(None, psid="u2", ts=T0, mid="m_d", attachments=[PHOTO])),
            f.delivery(f.message("and?", psid="u2", ts=T0 + MINUTE, mid="m_e")),
        ]
    )  # fmt: skip
    one, two = contact(query, "u1"), contact(query, "u2")
    assert (one["message_count"], one["second_message_at"]) == (2, None)
    assert (two["message_count"], two["second_message_at"]) == (3, utc(T0 + MINUTE))


def test_a_page_reply_after_two_messages_of_one_instant_is_no_second_message(
    ingest_lines, query: Query
) -> None:
    """The second message is the person's next message: a page's answer, a read or a postback
    after a text and a photo sent in one go does not make the contact engaged."""
    ingest_lines(
        [
            f.delivery(f.message("hi", psid="u1", ts=T0, mid="m_a"),
                       f.message(None, psid="u1", ts=T0, mid="m_b", attachments=[PHOTO])),
            f.delivery(f.echo("hello!", psid="u1", ts=T0 + MINUTE, mid="m_e")),
            f.delivery(f.read_receipt(T0 + MINUTE, psid="u1", ts=T0 + 2 * MINUTE)),
            f.delivery(f.postback(psid="u1", ts=T0 + 3 * MINUTE)),
            f.delivery(f.message("thanks", psid="u1", ts=T0 + HOUR, mid="m_c")),
        ]
    )  # fmt: skip
    c = contact(query, "u1")
    assert (c["message_count"], c["second_message_at"]) == (3, utc(T0 + HOUR))


def test_a_read_on_another_page_reads_no_page_message_of_the_same_psid(
    ingest_lines, query: Query
) -> None:
    """page_messages_read counts the contact's own page's messages its read reaches: the
    same psid on another page, with a later read there, reads none of them."""
    ingest_lines(
        [
            f.delivery(f.message("hi", psid="u1", ts=T0)),
            f.delivery(f.echo("hello!", psid="u1", ts=T0 + MINUTE, mid="m_e1")),
            f.delivery(f.message("hi", psid="u1", page_id=OTHER_PAGE_ID, ts=T0, mid="m_o"),
                       page_id=OTHER_PAGE_ID),
            f.delivery(f.read_receipt(T0 + HOUR, psid="u1", page_id=OTHER_PAGE_ID,
                                      ts=T0 + HOUR), page_id=OTHER_PAGE_ID),
        ]
    )  # fmt: skip
    got = query("SELECT page_id, page_message_count, page_messages_read FROM contacts")
    assert sorted(got) == sorted([(PAGE_ID, 1, 0), (OTHER_PAGE_ID, 0, 0)])


def _two_days() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    d1, d2 = T0, T0 + DAY
    day1 = [
        *get_started("u1", ref="bio_link", ts=d1),
        f.delivery(f.message(psid="u2", ts=d1)),
        ff.feed(ff.comment(comment_id="c_3", from_id="F3", created_time=d1 // 1000)),
        ff.send_log("c_3", "u3", ts=d1 + 5 * MINUTE),
    ]
    day2 = [
        f.delivery(f.referral(psid="u1", ts=d2) | {"referral": f.ads_referral()}),
        f.delivery(f.message(psid="u1", ts=d2 + MINUTE)),
        f.delivery(f.referral("qr_receipt", psid="u2", ts=d2)),
        f.delivery(f.message(psid="u3", ts=d2)),
        f.delivery(f.message(psid="u4", ts=d2, referral=f.ads_referral())),
        f.delivery(f.delivery_receipt(["m_x"], d2, psid="u5", ts=d2)),
    ]
    return day1, day2


def test_arrival_order_of_logs_does_not_change_contacts(tmp_path: Path) -> None:
    day1, day2 = _two_days()
    logs = {
        "day1": f.write_ndjson(tmp_path / "day1.ndjson", day1),
        "day2": f.write_ndjson(tmp_path / "day2.ndjson", day2),
    }
    results = {}
    for order in (("day1", "day2"), ("day2", "day1")):
        query = Query(tmp_path / f"{'-'.join(order)}.duckdb")
        for name in order:
            pipeline.run([str(logs[name])], query.path)
        results[order] = {
            "contacts": query("SELECT * FROM contacts ORDER BY ALL"),
            "touches": query("SELECT * FROM touches ORDER BY ALL"),
            "channels": query("SELECT psid, channel, reentry_count FROM contacts ORDER BY psid"),
        }
    forward, reverse = results.values()
    assert forward["channels"] == [
        ("u1", "m_me_link", 1),
        ("u2", "organic", 1),
        ("u3", "comment_reply", 0),
        ("u4", "ctm_ad", 0),
    ]
    assert reverse == forward
