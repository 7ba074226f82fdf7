"""A send log whose `response` is the Send API's answer as the JSON text it came in (a team that
logs the HTTP body, `r.text`, rather than the object parsed from it):
`"response": "{\\"recipient_id\\": \\"<PSID>\\", \\"message_id\\": \\"m_...\\"}"`. Such a response
is read as the object it holds, so a private reply logged so links its comment to the PSID as
one logged as an object does; a string holding no object names no PSID, as before.
https://developers.facebook.com/docs/messenger-platform/reference/send-api
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import tests.factories as f
import tests.factories_feed as ff
from tests.conftest import Query
from tests.factories import MINUTE, PAGE_ID, PSID, T0
from tests.ingest.logs import contact, stored

COMMENT = "4455667788_1357924680"
ERROR = {"error": {"message": "(#10900) Activity already replied to", "type": "OAuthException",
                   "code": 10900, "fbtrace_id": "AbCdEf"}}  # fmt: skip


def _lines(as_text: bool) -> list[Any]:
    """A private reply to a comment (bare and in a receiver envelope), one to a visitor post, a
    refused one, the page's send to another PSID; then the commenter answers."""
    sends = [
        ff.send_log(COMMENT, PSID, ts=T0, message_id="m_reply"),
        ff.send_log("1_2", "7002", ts=T0 + 1, message_id="m_post",
                    recipient={"post_id": f"{PAGE_ID}_4455667788"}),
        {**ff.send_log("3_4", None, ts=T0 + 2), "response": ERROR},
        ff.send_log(COMMENT, "7001", ts=T0 + 3, message_id="m_other", recipient={"id": "7001"}),
    ]  # fmt: skip
    if as_text:
        sends = [{**s, "response": json.dumps(s["response"])} for s in sends]
    return [
        *sends,
        f.envelope(sends[0]),
        f.delivery(f.message("Yes please", psid=PSID, ts=T0 + 10 * MINUTE)),
        f.delivery(f.message("Hello", psid="7002", ts=T0 + 10 * MINUTE)),
    ]


def test_a_response_logged_as_json_text_reads_as_the_object_it_holds(tmp_path: Path) -> None:
    as_object = stored(tmp_path, "object", _lines(False))
    as_text = stored(tmp_path, "text", _lines(True))
    assert as_text == as_object
    # Both replies that named the PSID are touches; the commenter is the reply's.
    assert [(t[2], t[4], t[5]) for t in as_text["touches"]] == [
        (PSID, "private_reply", "comment_reply"),
        ("7002", "private_reply", "comment_reply"),
    ]
    assert as_text["rejects"] == []


@pytest.mark.parametrize(
    "response",
    ["garbage", "", '{"recipient_id": "6512345678901234"', json.dumps(json.dumps({"a": 1})),
     '["6512345678901234"]'],
    ids=["text", "empty", "cut-off", "string-of-a-string", "array"],
)  # fmt: skip
def test_a_response_string_holding_no_object_names_no_psid(
    ingest_lines: Any, query: Query, response: str
) -> None:
    """As a response with no recipient_id: a private reply kept with no PSID, no touch."""
    line = {**ff.send_log(COMMENT, PSID, message_id="m_1"), "response": response}
    result = ingest_lines([line, f.delivery(f.message("Hi", psid=PSID, ts=T0 + MINUTE))])
    assert result.rejects_added == 0
    assert query("SELECT kind, detail, psid, mid FROM events WHERE kind = 'private_reply'") == [
        ("private_reply", "no recipient_id", None, None)
    ]
    assert contact(query, PSID)["channel"] == "organic"
