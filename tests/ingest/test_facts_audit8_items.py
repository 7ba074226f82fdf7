"""Items of Meta's documented payloads found by an outside audit of `refscope ingest` against the
payload facts, each through the real pipeline into a real DuckDB file: event keys with values of
the wrong type (rejected with their reason, or read where they still say enough), and the page's
echoes and receipts (a private reply's echo in standby, and echoes and receipts before a contact
exists or alone in a later run). Payloads:
https://developers.facebook.com/docs/messenger-platform/reference/webhook-events
"""

from __future__ import annotations

from typing import Any

import tests.factories as f
from tests.conftest import Query
from tests.factories import HOUR, MINUTE, PAGE_ID, T0


def _item(**kind: Any) -> dict[str, Any]:
    return {"sender": {"id": "w1"}, "recipient": {"id": PAGE_ID}, "timestamp": T0, **kind}


# Each event key of Meta's item with a value of the wrong type, and what refscope says of it.
WRONG_TYPES = [
    (_item(message="hello"), "message without mid"),
    (_item(message={"mid": ["m_1"], "text": "hi"}), "message without mid"),
    (_item(postback="GET_STARTED"), "empty postback"),
    (_item(referral="spring_menu"), "referral without source"),
    (_item(optin="notification_messages"), "empty optin"),
    (_item(optin=["notification_messages"]), "empty optin"),
    (_item(delivery="m_1"), "delivery without watermark"),
    (_item(read={"watermark": "yesterday"}), "read without watermark"),
    (_item(read=T0), "read without watermark"),
    (_item(reaction="love"), "empty reaction"),
    (_item(message={"mid": "m_2"}) | {"sender": "w1"}, "no sender id"),
    (_item(message={"mid": "m_3"}) | {"sender": {"id": ["w1"]}}, "no sender id"),
]


def test_each_event_of_the_wrong_type_is_rejected_with_its_reason(
    ingest_lines, query: Query
) -> None:
    ingest_lines([f.delivery(item) for item, _ in WRONG_TYPES])
    assert query("SELECT line_no, reason FROM rejects ORDER BY line_no") == [
        (n, f"entry[0].messaging[0]: {reason}") for n, (_, reason) in enumerate(WRONG_TYPES, 1)
    ]
    assert query("SELECT count(*) FROM events") == [(0,)]


def test_fields_of_a_wrong_type_that_still_say_enough_are_read(ingest_lines, query: Query) -> None:
    """A timestamp that is no instant falls back to the entry's time; an is_echo spelled as a
    string and Send API metadata logged as an object still name the private reply; a source or
    ref given as a number is kept as text; an attachment list given as an object is left out."""
    as_object = {"comment_id": "4455667788_55"}
    ingest_lines(
        [
            f.delivery(_item(message={"mid": "m_t1"}) | {"timestamp": True}, time=T0 + 1000),
            f.delivery(_item(message={"mid": "m_t2"}) | {"timestamp": {"s": 1}}, time=T0 + 2000),
            f.delivery(
                f.echo(psid="w2", ts=T0 + 3000, mid="m_e")
                | {"message": {"mid": "m_e", "is_echo": "true", "metadata": as_object}}
            ),
            f.delivery(f.message(psid="w2", ts=T0 + 4000)),
            f.delivery(_item(referral={"ref": 5, "source": 7}) | {"sender": {"id": "w3"}}),
            f.delivery(_item(message={"mid": "m_a", "attachments": {"type": "image"}})),
        ]
    )
    assert query("SELECT count(*) FROM rejects") == [(0,)]
    rows = query("SELECT psid, kind, ts, ref, source, comment_id, attachment_types FROM events "
                 "ORDER BY line_no")  # fmt: skip
    assert rows == [
        ("w1", "message", f.utc(T0 + 1000), None, None, None, None),
        ("w1", "message", f.utc(T0 + 2000), None, None, None, None),
        ("w2", "message_echo", f.utc(T0 + 3000), None, None, "4455667788_55", None),
        ("w2", "message", f.utc(T0 + 4000), None, None, None, None),
        ("w3", "referral", f.utc(T0), "5", "7", None, None),
        ("w1", "message", f.utc(T0), None, None, None, None),
    ]
    assert query("SELECT psid, channel FROM contacts ORDER BY psid") == [
        ("w1", "organic"),
        ("w2", "comment_reply"),
        ("w3", "other"),
    ]


def test_a_private_replys_echo_in_standby_acquires_in_either_direction(
    ingest_lines, query: Query
) -> None:
    """While the Page Inbox owns the thread, the echo of the page's private reply comes in
    standby[] (Meta's echo sample shows one there), in the new or the old direction: it names
    the comment all the same. An echo of Meta's own inbox app, without metadata, names none."""
    inbox = 263902037430900
    ingest_lines(
        [
            f.delivery(f.private_reply_echo("4455667788_31", psid="new_way", ts=T0 + MINUTE),
                       container="standby"),
            f.delivery(f.message(psid="new_way", ts=T0 + 2 * MINUTE), container="standby"),
            f.delivery(f.private_reply_echo("4455667788_32", psid="old_way", ts=T0 + MINUTE,
                                            reverse=True), container="standby"),
            f.delivery(f.message(psid="old_way", ts=T0 + 2 * MINUTE)),
            f.delivery(f.echo(psid="inbox", ts=T0, app_id=inbox), container="standby"),
            f.delivery(f.message(psid="inbox", ts=T0 + MINUTE)),
        ]
    )  # fmt: skip
    rows = query("SELECT psid, channel, comment_id, first_touch_at, page_message_count "
                 "FROM contacts ORDER BY psid")  # fmt: skip
    assert rows == [
        ("inbox", "organic", None, None, 1),
        ("new_way", "comment_reply", "4455667788_31", f.utc(T0 + MINUTE), 1),
        ("old_way", "comment_reply", "4455667788_32", f.utc(T0 + MINUTE), 1),
    ]


def test_echoes_and_receipts_before_a_contact_exists_or_alone_in_a_later_run_count_for_it(
    ingest_lines, query: Query
) -> None:
    """The page's message, its delivery and its read make no contact, but once the person
    writes they are its engagement facts; a later run holding only such events updates it."""
    seen = "SELECT first_seen_at, first_message_at, page_message_count, last_read_at FROM contacts"
    first = ingest_lines(
        [
            f.delivery(f.echo(psid="quiet", ts=T0)),
            f.delivery(f.delivery_receipt([f.mid_for("quiet", T0)], T0, psid="quiet", ts=T0 + 1)),
            f.delivery(f.read_receipt(T0, psid="quiet", ts=T0 + 2)),
        ],
        "webhooks-1.ndjson",
    )
    assert (first.events_added, first.new_contacts) == (3, 0)
    second = ingest_lines([f.delivery(f.message(psid="quiet", ts=T0 + HOUR))], "webhooks-2.ndjson")
    assert second.new_contacts == 1
    assert query(seen) == [(f.utc(T0 + HOUR), f.utc(T0 + HOUR), 1, f.utc(T0))]
    third = ingest_lines(
        [
            f.delivery(f.echo("Here you go", psid="quiet", ts=T0 + 2 * HOUR)),
            f.delivery(f.read_receipt(T0 + 2 * HOUR, psid="quiet", ts=T0 + 3 * HOUR)),
        ],
        "webhooks-3.ndjson",
    )
    assert third.new_contacts == 0
    assert query(seen) == [(f.utc(T0 + HOUR), f.utc(T0 + HOUR), 2, f.utc(T0 + 2 * HOUR))]
    assert query("SELECT channel FROM contacts") == [("organic",)]
