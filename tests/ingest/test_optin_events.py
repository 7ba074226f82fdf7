"""Marketing message opt-ins as Meta's messaging_optins samples show them, read through the
real pipeline into a real DuckDB file: an opt-in, a stop and a resume are three events. Dedupe
rule: README "Guarantees". Payloads:
https://developers.facebook.com/documentation/business-messaging/messenger-platform/webhooks/webhook-events/messaging_optins
"""

from __future__ import annotations

import tests.factories as f
from tests.conftest import Query

# The fields Meta's samples of an opt-in and of a stop share.
SHARED = {
    "type": "notification_messages",
    "payload": "ADDITIONAL-INFORMATION",
    "notification_messages_token": "NOTIFICATION-MESSAGES-TOKEN",
    "title": "TITLE",
}


def test_an_opt_in_a_stop_and_a_resume_at_one_instant_are_three_optins(
    ingest_lines, query: Query
) -> None:
    """The opt-in, and the stop and resume that carry notification_messages_status (only a stop
    or a resume has it), from one person at one instant, as the samples date them: three
    optins. (The key held the type and payload but not the status: the stop and the resume
    were taken for copies of the opt-in and lost as duplicates.)"""
    opt_in = f.optin(**SHARED, notification_messages_timezone="UTC",
                     user_token_status="NOT_REFRESHED")  # fmt: skip
    stop = f.optin(**SHARED, notification_messages_status="STOP NOTIFICATIONS")
    resume = f.optin(**SHARED, notification_messages_status="RESUME NOTIFICATIONS")
    result = ingest_lines([f.delivery(opt_in), f.delivery(stop), f.delivery(resume)])
    assert (result.events_added, result.duplicates) == (3, 0)
    assert query("SELECT kind, detail, count(*) FROM events GROUP BY ALL") == [
        ("optin", "notification_messages", 3)
    ]


def test_a_stop_logged_twice_is_one_optin(ingest_lines) -> None:
    """A retried delivery of the stop is still one event."""
    stop = f.optin(**SHARED, notification_messages_status="STOP NOTIFICATIONS")
    result = ingest_lines([f.delivery(stop), f.delivery(stop)])
    assert (result.events_added, result.duplicates) == (1, 1)
