"""A person's email address or phone number sent by a `user_email` / `user_phone_number` quick
reply: Meta puts it in `message.quick_reply.payload` as well as in the text, so it goes where
the text goes; the team's own payloads stay as they came."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb
import pytest
from click.testing import CliRunner

from ingest import pipeline
from ingest.cli import cli
from ingest.privacy import Privacy, forgotten_hash
from ingest.shared_contact import EMAIL_REMOVED, PHONE_REMOVED, removed, removed_sql
from tests import factories as f
from tests.conftest import Query
from tests.ingest.rejects_setup import OTHER, PSID, READINGS, SALT, forget, read_rejected

# Payloads as the webhook brings them, and what events keeps of each without --keep-text.
PAYLOADS = {
    "jane.doe+shop@example.co.uk": EMAIL_REMOVED,
    "anna.öberg@exempel.se": EMAIL_REMOVED,
    "+46 70 123 45 67": PHONE_REMOVED,
    "+15551234567": PHONE_REMOVED,
    "(555) 123-4567": PHONE_REMOVED,
    "0701234567": PHONE_REMOVED,
    "COLOR_RED": None,
    '{"step":2}': None,
    '{"email":"jane@example.com"}': None,
    "DEVELOPER_DEFINED_PAYLOAD_FOR_PICKING_GREEN": None,
    "2024-05-06": None,
    "42": None,
    "SKU_1234567": None,
    "USER_5550001112223334": None,
    "@home": None,
}


def tapped(payload: str, n: int) -> dict[str, Any]:
    """The message a tapped quick reply sends: its title as the text, and its payload."""
    title = payload if removed(payload) else "Pick"
    return f.delivery(f.message(title, psid=f"55500011122{n:05d}", ts=f.T0 + n * 1000,
                                quick_reply={"payload": payload}))  # fmt: skip


def test_python_and_sql_take_the_same_payloads_for_an_email_or_a_phone_number() -> None:
    con = duckdb.connect()
    try:
        for payload, expected in PAYLOADS.items():
            assert removed(payload) == expected, payload
            (got,) = con.execute(f"SELECT {removed_sql('$p')}", {"p": payload}).fetchone() or ()
            assert got == (expected or payload), payload
    finally:
        con.close()


@pytest.mark.parametrize("keep_text", [False, True], ids=["default", "keep-text"])
def test_events_keep_an_email_or_phone_number_payload_only_where_text_is_kept(
    ingest_lines: Any, query: Query, keep_text: bool
) -> None:
    ingest_lines([tapped(p, n) for n, p in enumerate(PAYLOADS)], keep_text=keep_text)
    got = [p for (p,) in query("SELECT quick_reply_payload FROM events ORDER BY ts")]
    if keep_text:
        assert got == list(PAYLOADS)
    else:
        assert got == [shown or p for p, shown in PAYLOADS.items()]
        assert query.scalar("SELECT count(text) FROM events") == 0


# Rejected lines: the payload goes where the text goes (salted without --keep-text; forget).
EMAIL, PHONE = "jane.doe@example.com", "+46 70 123 45 67"


def rejected(psid: str, payload: str, ts: int) -> dict[str, Any]:
    """A tapped quick reply without its mid: its line is rejected."""
    item = f.message(payload, psid=psid, ts=ts, quick_reply={"payload": payload})
    del item["message"]["mid"]
    return item


def team(psid: str, ts: int) -> dict[str, Any]:
    item = f.message("Red", psid=psid, ts=ts, quick_reply={"payload": "COLOR_RED"})
    del item["message"]["mid"]
    return item


def payloads(raw: str) -> list[str]:
    return [i["message"]["quick_reply"]["payload"]
            for i in json.loads(raw)["entry"][0]["messaging"]]  # fmt: skip


@READINGS
def test_a_rejected_lines_email_or_phone_number_payload_goes_where_its_text_goes(
    tmp_path: Path, db_path: Path, monkeypatch: pytest.MonkeyPatch,
    salt: str | None, keep_text: bool, hidden: bool,
) -> None:  # fmt: skip
    if salt:
        monkeypatch.setenv("REFSCOPE_ID_SALT", salt)
    line = f.line(f.delivery(rejected(PSID, EMAIL, f.T0), rejected(OTHER, PHONE, f.T0 + 1),
                             team(OTHER, f.T0 + 2)))  # fmt: skip
    (kept,) = read_rejected(tmp_path, db_path, [line], keep_text)
    if hidden:
        assert payloads(kept) == [EMAIL_REMOVED, PHONE_REMOVED, "COLOR_RED"]
        assert EMAIL not in kept and PHONE not in kept, kept
    else:
        assert payloads(kept) == [EMAIL, PHONE, "COLOR_RED"]


def test_forget_takes_the_persons_email_or_phone_number_payload_from_rejected_lines(
    tmp_path: Path, db_path: Path, runner: CliRunner
) -> None:
    line = f.line(f.delivery(rejected(PSID, EMAIL, f.T0), team(PSID, f.T0 + 1),
                             rejected(OTHER, PHONE, f.T0 + 2)))  # fmt: skip
    body = f.line(f.delivery(rejected(PSID, PHONE, f.T0 + 3)))
    cut = f.line(f.envelope(body[:-2]))  # a cut body, which the receiver keeps as a string
    read_rejected(tmp_path, db_path, [line, cut])
    first, second = forget(runner, db_path)
    assert payloads(first) == [EMAIL_REMOVED, "COLOR_RED", PHONE]  # the other's: not theirs
    assert EMAIL not in first
    assert PHONE not in second and json.dumps(PHONE_REMOVED) in json.loads(second)["body"]


def test_a_later_ingest_takes_a_forgotten_persons_payload_too() -> None:
    line = f.line(f.delivery(rejected(PSID, PHONE, f.T0), rejected(OTHER, EMAIL, f.T0 + 1)))
    out = Privacy().redact(line, {forgotten_hash(PSID)})
    assert payloads(out) == [PHONE_REMOVED, EMAIL]


def test_forget_in_a_salted_database_with_text_kept_takes_a_long_phone_number_payload(
    tmp_path: Path, db_path: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """Salted with --keep-text, the payload's long number showed hashed (`+id:…`, as an id
    does), and forget no longer saw a phone number in it."""
    monkeypatch.setenv("REFSCOPE_ID_SALT", SALT)
    number = "+15551234567"
    line = f.line(f.delivery(rejected(PSID, number, f.T0), rejected(OTHER, number, f.T0 + 1)))
    (kept,) = read_rejected(tmp_path, db_path, [line], keep_text=True)
    shown = payloads(kept)[0]
    assert shown.startswith("+id:") and payloads(kept) == [shown, shown]
    (kept,) = forget(runner, db_path)
    assert payloads(kept) == [PHONE_REMOVED, shown]  # the other person's stays as it was


def _cut(payload: str, upto: str) -> str:
    """A rejected line of PSID's quick reply with payload, cut off after upto in the payload."""
    line = f.line(f.delivery(rejected(PSID, payload, f.T0)))
    at = line.index('"payload"')
    return line[: line.index(upto, at) + len(upto)]


def _rejected_raws(
    lines: list[str], tmp_path: Path, db_path: Path, query: Query, runner: CliRunner, forget: bool
) -> list[str]:
    """The rejects' raw texts of lines read (and PSID forgotten after, with forget)."""
    log = f.write_ndjson(tmp_path / "logs" / "webhooks-a.ndjson", lines)
    pipeline.run([str(log)], db_path)
    if forget:
        result = runner.invoke(cli, ["forget", PSID, "--db", str(db_path)])
        assert result.exit_code == 0, result.output
    return [r[0] for r in query("SELECT raw FROM rejects ORDER BY line_no")]


@pytest.mark.parametrize("forget", [False, True], ids=["salted", "forgotten"])
def test_a_payload_cut_off_inside_an_email_or_phone_number_goes_too(
    tmp_path: Path, db_path: Path, query: Query, runner: CliRunner,
    monkeypatch: pytest.MonkeyPatch, forget: bool,
) -> None:  # fmt: skip
    """A line that ends inside the payload (`"payload":"jane.doe@exam`) holds the start of the
    person's address or number: it goes as the whole one would; the start of a team's payload
    stays (salted without --keep-text; a forgotten person's line without a salt)."""
    if not forget:
        monkeypatch.setenv("REFSCOPE_ID_SALT", SALT)
    lines = [_cut(EMAIL, "jane.doe@exam"), _cut(PHONE, "+46 70 12"), _cut("COLOR_RED", "COLOR_R")]
    raws = _rejected_raws(lines, tmp_path, db_path, query, runner, forget)
    assert raws[0].endswith(f'"payload":{json.dumps(EMAIL_REMOVED)}'), raws[0]
    assert raws[1].endswith(f'"payload":{json.dumps(PHONE_REMOVED)}'), raws[1]
    assert raws[2].endswith('"payload":"COLOR_R'), raws[2]


@pytest.mark.parametrize("forget", [False, True], ids=["salted", "forgotten"])
def test_a_payload_cut_off_before_the_at_goes_when_the_text_beside_it_is_the_address(
    tmp_path: Path, db_path: Path, query: Query, runner: CliRunner,
    monkeypatch: pytest.MonkeyPatch, forget: bool,
) -> None:  # fmt: skip
    """Cut off before its @ (`"payload":"jane.do`), the payload's shape says nothing, but the
    message's text, which a `user_email` / `user_phone_number` quick reply makes the same
    address or number, does: the start of that text goes as the whole payload would. Beside a
    text that is no address or number (a team's payload the same as its title) it stays."""
    if not forget:
        monkeypatch.setenv("REFSCOPE_ID_SALT", SALT)
    lines = [_cut(EMAIL, "jane.do"), _cut("Yes please", "Yes")]
    raws = _rejected_raws(lines, tmp_path, db_path, query, runner, forget)
    assert raws[0].endswith(f'"payload":{json.dumps(EMAIL_REMOVED)}'), raws[0]
    assert raws[1].endswith('"payload":"Yes'), raws[1]
