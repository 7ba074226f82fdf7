"""`refscope forget <phone number>` and the send it names: a send log line whose recipient is a
`phone_number` is kept as an event (kind `other`, detail `send_api`) with no PSID (Meta's
response has no `recipient_id` for such a send), keyed on an md5 over its page, message id and
the number. Kept after the forget, that key gives the number back to anyone hashing the 10,000
numbers of a known prefix; so the forget removes the event, and a later ingest of the log leaves
it out, counted as left out."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from ingest import pipeline
from ingest.cli import cli
from ingest.privacy import SALT_ENV
from tests import factories as f
from tests.conftest import Query

PHONE = "+12125552368"
OTHER = "+12125550000"


def send_to(number: str, message_id: str | None, *, form: bool = False) -> str:
    """A send by phone number as the page's code logs it; Meta's response has no recipient_id.
    form: the request as a form-encoded call sends it, its recipient a JSON string."""
    response = {"message_id": message_id} if message_id else {}
    recipient = {"phone_number": number}
    return json.dumps({
        "object": "send_api", "page_id": f.PAGE_ID, "timestamp": f.T0,
        "request": {"recipient": json.dumps(recipient) if form else recipient,
                    "message": {"text": "Order ready"}},
        "response": response,
    })  # fmt: skip


def found_again(db_file: Path) -> list[str]:
    """The numbers of the prefix +1212555 that an event's md5 key gives back, without a salt:
    the key over the row's page, message id (else instant) and a candidate number."""
    con = duckdb.connect(str(db_file), read_only=True)
    try:
        return [r[0] for r in con.execute(
            """SELECT n FROM events e, (SELECT '+1212555' || lpad(CAST(i AS VARCHAR), 4, '0') AS n
                                        FROM range(10000) t(i)) c
               WHERE e.event_key = md5_number(array_to_string([e.page_id, 'send_api',
                         coalesce(e.mid, CAST(epoch_ms(e.ts) AS VARCHAR)), c.n], chr(31)))"""
        ).fetchall()]  # fmt: skip
    finally:
        con.close()


def forget(runner: CliRunner, db_file: Path, who: str) -> str:
    res = runner.invoke(cli, ["forget", who, "--db", str(db_file)])
    assert res.exit_code == 0, res.output
    return res.output


@pytest.mark.parametrize("message_id", ["m_sent_1", None], ids=["message-id", "no-message-id"])
def test_forgetting_a_phone_number_removes_its_sends_and_their_keys(
    tmp_path: Path, runner: CliRunner, message_id: str | None
) -> None:
    lines = [send_to(PHONE, message_id), send_to(OTHER, message_id and "m_sent_2")]
    log = f.write_ndjson(tmp_path / "logs" / "sends.ndjson", lines)
    db_file = tmp_path / "r.duckdb"
    pipeline.run([str(log)], db_file)
    assert sorted(found_again(db_file)) == [OTHER, PHONE]

    assert forget(runner, db_file, PHONE).startswith("forgotten: 1 event,")

    assert found_again(db_file) == [OTHER]  # the other person's send stays
    assert Query(db_file)("SELECT count(*) FROM events WHERE detail = 'send_api'") == [(1,)]


@pytest.mark.parametrize("form", [False, True], ids=["json", "form-encoded"])
@pytest.mark.parametrize("salt", [None, "pepper-for-sends"], ids=["plain", "salted"])
def test_a_send_to_a_forgotten_number_read_again_stays_out_counted_as_left_out(
    tmp_path: Path,
    runner: CliRunner,
    monkeypatch: pytest.MonkeyPatch,
    salt: str | None,
    form: bool,
) -> None:
    """Also a send logged form-encoded, its recipient read from the JSON string it came as."""
    if salt:
        monkeypatch.setenv(SALT_ENV, salt)
    lines = [send_to(PHONE, "m_sent_1", form=form), send_to(OTHER, "m_sent_2", form=form)]
    first = f.write_ndjson(tmp_path / "logs" / "sends.ndjson", lines)
    db_file = tmp_path / "r.duckdb"
    pipeline.run([str(first)], db_file)
    forget(runner, db_file, PHONE)
    assert Query(db_file)("SELECT mid FROM events") == [("m_sent_2",)]

    again = pipeline.run([str(f.write_ndjson(tmp_path / "copy" / "sends.ndjson", lines))],
                         db_file)  # fmt: skip

    assert Query(db_file)("SELECT mid FROM events") == [("m_sent_2",)]
    assert (again.events_parsed, again.events_added, again.left_out, again.duplicates) == (
        2, 0, 1, 1)  # fmt: skip
    if salt is None:
        assert found_again(db_file) == [OTHER]


def test_a_send_to_a_number_forgotten_on_another_page_stays(
    tmp_path: Path, runner: CliRunner
) -> None:
    db_file = tmp_path / "r.duckdb"
    log = f.write_ndjson(tmp_path / "logs" / "sends.ndjson", [send_to(PHONE, "m_sent_1")])
    pipeline.run([str(log)], db_file)
    res = runner.invoke(cli, ["forget", PHONE, "--page", "999000111", "--db", str(db_file)])
    assert res.exit_code == 0, res.output
    again = f.write_ndjson(tmp_path / "copy" / "sends.ndjson", [send_to(PHONE, "m_sent_1")])
    pipeline.run([str(again)], db_file)
    assert Query(db_file)("SELECT mid FROM events") == [("m_sent_1",)]


def test_a_number_forgotten_before_its_send_log_is_read_keeps_the_send_out(
    tmp_path: Path, runner: CliRunner
) -> None:
    db_file = tmp_path / "r.duckdb"
    forget(runner, db_file, PHONE)
    log = f.write_ndjson(tmp_path / "logs" / "sends.ndjson",
                         [send_to(PHONE, None), send_to(OTHER, None)])  # fmt: skip
    res = pipeline.run([str(log)], db_file)
    assert (res.events_added, res.left_out) == (1, 1)
    assert found_again(db_file) == [OTHER]


@pytest.mark.parametrize("salt", [None, "pepper-for-sends"], ids=["plain", "salted"])
def test_a_send_to_a_forgotten_number_inside_a_receiver_envelope_stays_out(
    tmp_path: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch, salt: str | None
) -> None:
    """The number is read from the envelope's body as the send's key reads it: the envelope's
    own fields (a `request` beside `body`) are not the send's."""
    if salt:
        monkeypatch.setenv(SALT_ENV, salt)
    db_file = tmp_path / "r.duckdb"
    forget(runner, db_file, PHONE)
    wrapped = [
        {**f.envelope(json.loads(send_to(PHONE, "m_sent_1"))),
         "request": {"recipient": {"phone_number": OTHER}}},
        {**f.envelope(json.loads(send_to(OTHER, "m_sent_2"))),
         "request": {"recipient": {"phone_number": PHONE}}},
    ]  # fmt: skip
    res = pipeline.run([str(f.write_ndjson(tmp_path / "logs" / "sends.ndjson", wrapped))], db_file)
    assert (res.events_added, res.left_out) == (1, 1)
    assert Query(db_file)("SELECT mid FROM events") == [("m_sent_2",)]
