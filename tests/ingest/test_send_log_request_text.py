"""A send log whose whole `request` is one JSON string: a team that logs the body its code POSTed
to the Send API (the JSON text, or the JSON string a form body's fields become) writes it so,
`"request": "{\\"recipient\\": {\\"comment_id\\": ...}, \\"message\\": {...}}"`. Such a request is
read as the object it holds, so each line gives the rows it gives logged as an object: the
private reply, the page's other sends, and what `forget` removes of them.
https://developers.facebook.com/docs/messenger-platform/reference/send-api
https://developers.facebook.com/docs/messenger-platform/discovery/private-replies/
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import tests.factories as f
import tests.factories_feed as ff
from ingest import pipeline
from ingest.cli import cli
from ingest.privacy import FORGOTTEN, SALT_ENV
from tests.conftest import Query
from tests.factories import MINUTE, PAGE_ID, PSID, T0
from tests.ingest.forget_setup import rejects_both_ways
from tests.ingest.logs import stored

COMMENT = "4455667788_1357924680"
PHONE = "+12125552368"
NAME = {"first_name": "Johanna", "last_name": "Doe"}
RECIPIENTS = {
    "comment_id": {"comment_id": COMMENT},
    "post_id": {"post_id": f"{PAGE_ID}_4455667788"},
    "id": {"id": "7001"},
    "user_ref": {"user_ref": "ur_7"},
    "phone_number": {"phone_number": PHONE, "name": NAME},
    "token": {"notification_messages_token": "tok_9"},
}


def _lines(as_text: bool) -> list[Any]:
    """Each recipient's send, with and without the response's PSID, bare and in a receiver
    envelope, also with its recipient form-encoded; then the commenter's answer."""
    lines: list[Any] = []
    for i, recipient in enumerate(RECIPIENTS.values()):
        for psid in (PSID, None):
            for form in (False, True):
                line = ff.send_log(COMMENT, psid, recipient=recipient, form=form, ts=T0 + i,
                                   message_id=f"m_{i}_{psid}", request_text=as_text)  # fmt: skip
                lines += [line, f.envelope(line)]
    return [*lines, f.delivery(f.message("Yes please", psid=PSID, ts=T0 + 10 * MINUTE))]


def test_a_request_logged_as_json_text_reads_as_the_object_it_holds(tmp_path: Path) -> None:
    as_object = stored(tmp_path, "object", _lines(False))
    as_text = stored(tmp_path, "text", _lines(True))
    assert as_text == as_object
    kinds = {(r[5], r[6]) for r in as_text["events"]}  # kind, detail
    assert kinds == {("private_reply", None), ("private_reply", "no recipient_id"),
                     ("other", "send_api"), ("message", None)}  # fmt: skip
    # The replies to the comment and to the post that named the PSID: a touch each.
    assert [(t[4], t[5]) for t in as_text["touches"]] == [("private_reply", "comment_reply")] * 2
    assert as_text["rejects"] == []


@pytest.mark.parametrize(
    "request_",
    [
        "garbage",
        "",
        '{"recipient": {"comment_id": "1_2"}',
        '[{"recipient": {"id": "7001"}}]',
        json.dumps(json.dumps({"recipient": {"id": "7001"}})),
        '{"message": {"text": "hi"}}',
    ],
    ids=["text", "empty", "cut-off", "array", "string-of-a-string", "no-recipient"],
)
def test_a_request_string_holding_no_object_with_a_recipient_names_no_recipient(
    ingest_lines, query: Query, request_: str
) -> None:
    """Rejected as a send log naming no recipient when its response names none either; with
    the response's recipient_id, the page's own send to that PSID."""
    line = ff.send_log(COMMENT, None, message_id="m_1")
    sent = {**ff.send_log(COMMENT, PSID, message_id="m_2"), "request": request_}
    result = ingest_lines([{**line, "request": request_}, sent])
    assert (result.events_added, result.rejects_added) == (1, 1)
    assert query("SELECT line_no, reason FROM rejects") == [(1, "send log without recipient")]
    assert query("SELECT kind, detail, psid FROM events") == [("other", "send_api", PSID)]


@pytest.mark.parametrize("salt", [None, "pepper-for-sends"], ids=["plain", "salted"])
def test_forgetting_a_phone_number_removes_a_send_logged_so_and_keeps_it_out(
    tmp_path: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch, salt: str | None
) -> None:
    if salt:
        monkeypatch.setenv(SALT_ENV, salt)
    lines = [ff.send_log(COMMENT, None, recipient={"phone_number": number}, message_id=mid,
                         request_text=True)
             for number, mid in ((PHONE, "m_1"), ("+12125550000", "m_2"))]  # fmt: skip
    db_file = tmp_path / "r.duckdb"
    pipeline.run([str(f.write_ndjson(tmp_path / "logs" / "sends.ndjson", lines))], db_file)
    res = runner.invoke(cli, ["forget", PHONE, "--db", str(db_file)])
    assert res.exit_code == 0 and res.output.startswith("forgotten: 1 event,"), res.output
    assert Query(db_file)("SELECT mid FROM events") == [("m_2",)]

    copy = f.write_ndjson(tmp_path / "copy" / "sends.ndjson", lines)
    again = pipeline.run([str(copy)], db_file)
    assert (again.events_added, again.left_out) == (0, 1)
    assert Query(db_file)("SELECT mid FROM events") == [("m_2",)]


@pytest.mark.parametrize("salt", [None, "pepper-for-sends"], ids=["plain", "salted"])
@pytest.mark.parametrize("who", [PSID, PHONE], ids=["by-psid", "by-phone-number"])
def test_forget_clears_the_recipient_out_of_a_rejected_line_logging_its_request_so(
    tmp_path: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch, salt: str | None, who: str
) -> None:
    """A send with no timestamp is rejected; forgotten (after or before the log is read), its
    recipient's number and name and the message's text leave the request's string."""
    if salt:
        monkeypatch.setenv(SALT_ENV, salt)
    line = ff.send_log(COMMENT, PSID if who == PSID else None, ts=None, message_id="m_1",
                       recipient=RECIPIENTS["phone_number"], request_text=True)  # fmt: skip
    seen, forgot = rejects_both_ways(tmp_path, runner, [f.line(line)], who,
                                     "SELECT raw FROM rejects")  # fmt: skip
    ((raw,),) = seen
    for held in ("Johanna", "Doe", "2368", "Check your inbox"):
        assert held not in raw, raw
    request = json.loads(json.loads(raw)["request"])
    assert request["recipient"] == {
        "phone_number": FORGOTTEN, "name": {"first_name": FORGOTTEN, "last_name": FORGOTTEN}
    }  # fmt: skip
    assert forgot == seen
