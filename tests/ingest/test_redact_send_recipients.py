"""A salted database's rejected send log keeps no phone number or name of its recipient: a send
by phone number (Customer Matching: `recipient: {"phone_number": ..., "name": {"first_name":
..., "last_name": ...}}`) names the person more plainly than a PSID, which is shown hashed."""

from __future__ import annotations

import json

import pytest

import tests.factories as f
from ingest.privacy import NAME_REMOVED, SALT_ENV, Privacy
from tests.conftest import IngestLines, Query

SALT = "pepper-for-send-logs"
PHONE = "+1(212)555-2368"


def test_a_salted_rejected_send_log_keeps_no_phone_number_or_name(
    ingest_lines: IngestLines, query: Query, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(SALT_ENV, SALT)
    recipient = {"phone_number": PHONE, "name": {"first_name": "Johanna", "last_name": "Doe"}}
    ingest_lines([{"object": "send_api", "page_id": f.PAGE_ID,  # no timestamp: rejected
                   "request": {"recipient": recipient, "message": {"text": "hi"}},
                   "response": {"message_id": "m_sent_1"}}])  # fmt: skip
    ((reason, raw),) = query("SELECT reason, raw FROM rejects")
    assert reason == "no valid timestamp"
    assert "Johanna" not in raw and "Doe" not in raw and "555" not in raw, raw
    shown = json.loads(raw)["request"]["recipient"]
    assert shown == {
        "phone_number": Privacy(salt=SALT.encode()).shown_id(PHONE),  # tells sends apart
        "name": {"first_name": NAME_REMOVED, "last_name": NAME_REMOVED},
    }


def test_without_a_salt_the_line_is_kept_as_it_came(
    ingest_lines: IngestLines, query: Query
) -> None:
    recipient = {"phone_number": PHONE, "name": {"first_name": "Johanna", "last_name": "Doe"}}
    ingest_lines([{"object": "send_api", "page_id": f.PAGE_ID,
                   "request": {"recipient": recipient}}])  # fmt: skip
    ((raw,),) = query("SELECT raw FROM rejects")
    assert json.loads(raw)["request"]["recipient"] == recipient
