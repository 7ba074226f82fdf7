"""A send log that holds every Send API call, not only private replies: a send to a PSID, a
user_ref, a phone number or a notification token is kept as an event of kind `other` (detail
`send_api`), the page's own message. It is no reject, opens no contact and is no touch: a
contact it precedes is acquired as without it. Only a line naming no recipient is rejected.
https://developers.facebook.com/docs/messenger-platform/reference/send-api
"""

from __future__ import annotations

from typing import Any

import tests.factories as f
import tests.factories_feed as ff
from tests.conftest import Query
from tests.factories import MINUTE, PAGE_ID, T0, utc
from tests.ingest.logs import contact


def _send(recipient: dict[str, Any], response: dict[str, Any], ts: int) -> dict[str, Any]:
    return {
        "object": "send_api",
        "page_id": PAGE_ID,
        "timestamp": ts,
        "request": {"recipient": recipient, "message": {"text": "Your order shipped"}},
        "response": response,
    }


SENDS = [
    _send({"id": "u1"}, {"recipient_id": "u1", "message_id": "m_s1"}, T0),
    _send({"user_ref": "ur_7"}, {"message_id": "m_s2"}, T0 + 1),  # no recipient_id: documented
    _send({"phone_number": "+15550100"}, {"message_id": "m_s3"}, T0 + 2),
    _send({"notification_messages_token": "tok_9"}, {"message_id": "m_s4"}, T0 + 3),
    _send({"id": "u2"}, {"error": {"message": "outside the window", "code": 10}}, T0 + 4),
]


def test_other_sends_are_events_of_their_own_not_rejects(ingest_lines, query: Query) -> None:
    result = ingest_lines(SENDS)
    assert (result.events_added, result.rejects_added, result.new_contacts) == (5, 0, 0)
    rows = query("SELECT kind, detail, psid, is_user_ref, mid, ts FROM events ORDER BY ts")
    assert rows == [
        ("other", "send_api", "u1", False, "m_s1", utc(T0)),
        ("other", "send_api", "ur_7", True, "m_s2", utc(T0 + 1)),
        ("other", "send_api", None, False, "m_s3", utc(T0 + 2)),
        ("other", "send_api", None, False, "m_s4", utc(T0 + 3)),
        ("other", "send_api", "u2", False, None, utc(T0 + 4)),
    ]
    assert query("SELECT count(*) FROM touches") == [(0,)]
    # Logged again (a retried write, a copied file): the same sends, nothing new.
    again = ingest_lines(SENDS, name="copy.ndjson")
    assert (again.events_added, again.rejects_added) == (0, 0)


def test_a_send_before_the_first_message_acquires_nothing(ingest_lines, query: Query) -> None:
    """Not a private reply: the contact it preceded is organic, and one a private reply
    preceded is still the comment's."""
    ingest_lines([
        SENDS[0],
        f.delivery(f.message("thanks", psid="u1", ts=T0 + 10 * MINUTE)),
        ff.send_log("c_1", "u3", ts=T0 + MINUTE),
        f.delivery(f.message("yes please", psid="u3", ts=T0 + 10 * MINUTE)),
    ])  # fmt: skip
    assert contact(query, "u1")["channel"] == "organic"
    assert contact(query, "u3")["channel"] == "comment_reply"


def test_a_send_log_naming_no_recipient_is_rejected(ingest_lines, query: Query) -> None:
    result = ingest_lines([_send({}, {"message_id": "m_s9"}, T0), SENDS[0]])
    assert (result.events_added, result.rejects_added) == (1, 1)
    assert query("SELECT line_no, reason FROM rejects") == [(1, "send log without recipient")]


def test_a_failed_private_reply_is_kept_but_is_no_touch_and_no_reply_sent(
    ingest_lines, query: Query
) -> None:
    """A private reply the Send API refused (an `error` response: no recipient_id, no
    message_id) is kept as its event, but no reply went: it is no touch, the commenter's first
    message after it is organic, and the Comments page's replies (`replies_sent`) leave it out."""
    comment = "4455667788_24680"
    failed = _send({"comment_id": comment}, {"error": {"message": "(#10) window", "code": 10}}, T0)
    result = ingest_lines([failed, f.delivery(f.message("hi", psid="u5", ts=T0 + MINUTE))])
    assert result.rejects_added == 0
    assert query(
        "SELECT kind, detail, psid, mid, comment_id FROM events WHERE kind <> 'message'"
    ) == [("private_reply", "no recipient_id", None, None, comment)]
    assert query("SELECT via FROM touches") == []
    assert query("SELECT count(*) FROM replies_sent") == [(0,)]
    assert contact(query, "u5")["channel"] == "organic"
