"""Handover events as Meta's messaging_handovers samples show them, read through the real
pipeline into a real DuckDB file: each control is an event of its own. Dedupe rule: README
"Guarantees". Payloads:
https://developers.facebook.com/documentation/business-messaging/messenger-platform/webhooks/webhook-events/messaging_handovers
"""

from __future__ import annotations

import tests.factories as f
from tests.conftest import Query

APP = "123456789"
NOTE = "additional content that the caller wants to set"


def test_a_pass_a_take_and_a_request_naming_one_app_at_one_instant_are_three_events(
    ingest_lines, query: Query
) -> None:
    """Meta's samples of pass_thread_control and request_thread_control (one person, one
    instant, app 123456789), and a take_thread_control of the same shape as a pass: three
    handovers. (The key held the app id but not which control: the request and the take were
    taken for copies of the pass, and lost as duplicates.)"""
    items = [
        f.handover("pass_thread_control", new_owner_app_id=APP, metadata=NOTE),
        f.handover("request_thread_control", requested_owner_app_id=int(APP), metadata=NOTE),
        f.handover("take_thread_control", previous_owner_app_id="263902037430900",
                   new_owner_app_id=APP, metadata=NOTE),
    ]  # fmt: skip
    result = ingest_lines([f.delivery(*items)])
    assert (result.events_added, result.duplicates) == (3, 0)
    assert query("SELECT kind, detail FROM events ORDER BY detail") == [
        ("handover", "pass_thread_control"),
        ("handover", "request_thread_control"),
        ("handover", "take_thread_control"),
    ]


def test_a_request_logged_twice_is_one_event(ingest_lines, query: Query) -> None:
    """A retried delivery of the request is still one event."""
    request = f.handover("request_thread_control", requested_owner_app_id=int(APP), metadata=NOTE)
    result = ingest_lines([f.delivery(request), f.delivery(request)])
    assert (result.events_added, result.duplicates) == (1, 1)
