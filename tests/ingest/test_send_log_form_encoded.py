"""A send log of requests made form-encoded: the Send API takes its parameters as a JSON body or
form-encoded, `recipient` and `message` then JSON strings (`-F 'recipient={"comment_id":
"..."}'`), and a team that logs the request as its code sent it writes them so. Such a recipient
is read as the object it holds; a string holding no JSON object stays no recipient, as before.
https://developers.facebook.com/docs/messenger-platform/reference/send-api
https://developers.facebook.com/docs/messenger-platform/discovery/private-replies/
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import tests.factories as f
import tests.factories_feed as ff
from tests.conftest import Query
from tests.factories import MINUTE, PAGE_ID, PSID, T0, utc
from tests.ingest.logs import contact, stored

COMMENT = "4455667788_1357924680"
RECIPIENTS = [{"comment_id": COMMENT}, {"post_id": f"{PAGE_ID}_4455667788"}]


def _reply(recipient: dict[str, Any], form: bool, envelope: bool) -> Any:
    line = ff.send_log(COMMENT, recipient=recipient, form=form, ts=T0, message_id="m_reply_1")
    return f.envelope(line) if envelope else line


@pytest.mark.parametrize("envelope", [False, True], ids=["line", "envelope"])
@pytest.mark.parametrize("recipient", RECIPIENTS, ids=["comment_id", "post_id"])
def test_a_private_reply_logged_form_encoded_reads_as_logged_as_json(
    tmp_path: Path, recipient: dict[str, Any], envelope: bool
) -> None:
    answer = f.delivery(f.message("Yes please", psid=PSID, ts=T0 + 10 * MINUTE))
    as_json = stored(tmp_path, "json", [_reply(recipient, False, envelope), answer])
    as_form = stored(tmp_path, "form", [_reply(recipient, True, envelope), answer])
    assert as_form == as_json
    events = {(r[5], r[2]) for r in as_form["events"]}  # kind, psid
    assert events == {("private_reply", PSID), ("message", PSID)}
    [touch] = as_form["touches"]
    assert (touch[2], touch[4], touch[5]) == (PSID, "private_reply", "comment_reply")
    assert as_form["rejects"] == []


@pytest.mark.parametrize("recipient", RECIPIENTS, ids=["comment_id", "post_id"])
def test_a_reply_logged_both_ways_and_retried_is_one_event(
    ingest_lines, query: Query, recipient: dict[str, Any]
) -> None:
    """Each way, then a retried copy of each (one in a receiver envelope): one reply, one touch,
    and the commenter who answers it is the reply's contact."""
    lines = [_reply(recipient, form, envelope) for envelope in (False, True) for form in (0, 1)]
    result = ingest_lines([*lines, f.delivery(f.message("Yes", psid=PSID, ts=T0 + MINUTE))])
    assert (result.events_added, result.rejects_added) == (2, 0)
    assert query(
        "SELECT kind, psid, ts, comment_id, post_id FROM events WHERE kind <> 'message'"
    ) == [("private_reply", PSID, utc(T0), recipient.get("comment_id"), recipient.get("post_id"))]
    assert query("SELECT via, channel FROM touches") == [("private_reply", "comment_reply")]
    assert contact(query, PSID)["channel"] == "comment_reply"


def _garbled(recipient: Any, recipient_id: str | None) -> Any:
    line = ff.send_log(COMMENT, recipient_id, ts=T0, message_id=f"m_{recipient_id}")
    line["request"]["recipient"] = recipient
    return line


GARBLED = [
    "garbage",
    "comment_id=4455667788_1",  # form-encoded, not JSON
    '{"comment_id": "4455667788_1"',  # cut off
    '["4455667788_1"]',  # JSON, not an object
    json.dumps(json.dumps({"comment_id": "4455667788_1"})),  # a JSON string holding a string
    "",
]


def test_a_string_recipient_holding_no_json_object_is_no_recipient_as_before(
    ingest_lines, query: Query
) -> None:
    """With the response's recipient_id: the page's own send (kind other, detail send_api), no
    touch; without one: rejected as a send log without recipient. The commenter who answers is
    organic."""
    lines = [_garbled(r, f"u{i}") for i, r in enumerate(GARBLED)]
    lines += [_garbled(r, None) for r in GARBLED[:2]]
    result = ingest_lines([*lines, f.delivery(f.message("Yes", psid="u0", ts=T0 + MINUTE))])
    assert (result.events_added, result.rejects_added) == (len(GARBLED) + 1, 2)
    rows = query("SELECT kind, detail, psid, comment_id, ts FROM events WHERE kind <> 'message'")
    assert sorted(rows) == [("other", "send_api", f"u{i}", None, utc(T0)) for i in range(6)]
    assert query("SELECT line_no, reason FROM rejects ORDER BY 1") == [
        (7, "send log without recipient"),
        (8, "send log without recipient"),
    ]
    assert query("SELECT count(*) FROM touches") == [(0,)]
    assert contact(query, "u0")["channel"] == "organic"
