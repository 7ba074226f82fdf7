"""A signed body that is not UTF-8 (Meta always sends UTF-8 JSON: a bad or hostile client): the
receiver logs it as a JSON string with `\\xNN` for each byte that is no UTF-8, which alone cannot
tell the byte 0xFF from the four characters `\\xff`, so beside it the body's bytes in base64
(`body_base64`, as for every body kept as a string). The ingest rejects the line saying where
the body stops being UTF-8, and keeps it in `rejects.raw` readable but without the base64, which
would hide ids and texts from the privacy rules and from `forget`."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from ingest import pipeline
from ingest.cli import cli
from ingest.privacy import SALT_ENV
from tests import factories as f
from tests.conftest import Query
from tests.ingest.receiver_server import Receiver

BYTE = b'{"object":"page","x":"\xff"}'  # the byte 0xFF
TEXT = b'{"object":"page","x":"\\xff"}'  # the four characters \xff: UTF-8, invalid JSON
REASON = (
    "envelope body is not UTF-8: invalid UTF-8 at byte {at} of the body (its bytes are in the "
    "log line's body_base64)"
)


def _latin1_delivery(psid: str, text: str) -> bytes:
    """A delivery a proxy re-encoded as Latin-1: its é is the byte 0xE9."""
    body = f.delivery(f.message(text, psid=psid, ts=f.T0))
    return json.dumps(body, ensure_ascii=False).encode("latin-1")


def test_a_body_that_is_not_utf8_is_logged_so_that_its_bytes_come_back(
    receiver: Receiver,
) -> None:
    latin1 = _latin1_delivery("7001", "Café")
    for raw in (BYTE, TEXT, latin1):
        assert receiver.post(raw).status_code == 200
    byte, text, cafe = (json.loads(line) for line in receiver.lines())
    assert byte["body"] == text["body"] == '{"object":"page","x":"\\xff"}'  # the same string
    assert base64.b64decode(byte["body_base64"]) == BYTE
    assert base64.b64decode(text["body_base64"]) == TEXT  # UTF-8, and said to be
    assert base64.b64decode(cafe["body_base64"]) == latin1
    assert all(line.isascii() for line in receiver.lines())


def test_the_ingest_rejects_it_saying_where_and_keeps_its_text_without_the_base64(
    receiver: Receiver, db_path: Path, query: Query
) -> None:
    latin1 = _latin1_delivery("7001", "Café")
    for raw in (BYTE, TEXT, latin1):
        assert receiver.post(raw).status_code == 200
    result = pipeline.run([str(receiver.log_dir)], db_path)
    assert result.events_added == 0
    rows = query("SELECT line_no, reason, raw FROM rejects ORDER BY line_no")
    assert [n for n, _, _ in rows] == [1, 2, 3]
    assert rows[0][1] == REASON.format(at=22)
    assert rows[1][1].startswith("envelope body is not an object but a string: invalid JSON: ")
    assert rows[2][1] == REASON.format(at=latin1.index(b"\xe9"))
    byte, _, cafe = (json.loads(raw) for _, _, raw in rows)
    assert byte == {"received_at": byte["received_at"], "body": '{"object":"page","x":"\\xff"}',
                    "body_base64": f"<{len(BYTE)} bytes, in the log>"}  # fmt: skip
    assert "Caf\\xe9" in cafe["body"]
    assert cafe["body_base64"] == f"<{len(latin1)} bytes, in the log>"
    assert result.rejects_by_reason == {
        "envelope body is not UTF-8": 2,
        "envelope body is not an object but a string": 1,
    }


@pytest.mark.parametrize("salt", [None, "pepper-for-bytes"], ids=["plain", "salted"])
def test_a_forgotten_psid_and_a_salted_text_leave_no_copy_in_base64(
    receiver: Receiver, db_path: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch,
    salt: str | None,
) -> None:  # fmt: skip
    """The id and the text as the body string holds them follow the privacy rules; the
    base64, which holds them too, is not kept."""
    if salt:
        monkeypatch.setenv(SALT_ENV, salt)
    psid, said = "5550001112223334", "Meet me at the café at nine"
    assert receiver.post(_latin1_delivery(psid, said)).status_code == 200
    pipeline.run([str(receiver.log_dir)], db_path)
    res = runner.invoke(cli, ["forget", psid, "--db", str(db_path)])
    assert res.exit_code == 0, res.output
    ((raw,),) = Query(db_path)("SELECT raw FROM rejects")
    encoded = base64.b64encode(_latin1_delivery(psid, said)).decode()
    for held in (psid, "Meet me", encoded[:40], encoded[-40:]):
        assert held not in raw, raw


def test_a_line_of_an_older_receiver_keeps_its_reason(ingest_lines, query: Query) -> None:
    """Without body_base64 (a receiver before it), as before; a body_base64 that is not
    base64 (a line edited by hand) says so, and one holding UTF-8 leaves the string to say what
    is wrong with it."""
    old = {"received_at": f.T0, "body": BYTE.decode("utf-8", "backslashreplace")}
    ingest_lines([old, {**old, "body_base64": "not base64!"},
                  {**old, "body_base64": base64.b64encode(TEXT).decode()}])  # fmt: skip
    said = "envelope body is not an object but a string"
    rows = query("SELECT reason FROM rejects ORDER BY line_no")
    old_reason, not_base64, utf8 = (r for (r,) in rows)
    assert old_reason == f"{said}: not UTF-8 (kept with \\x escapes)"
    assert not_base64 == "envelope body_base64 is not base64: the body's bytes are not known"
    assert utf8.startswith(f"{said}: invalid JSON: ")  # not said to be no UTF-8
