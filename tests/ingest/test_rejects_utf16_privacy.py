"""A log saved as UTF-16 (PowerShell 5's `>`) is rejected line by line, each line read as UTF-8
with a zero byte beside each character: the privacy rules must still find its ids and texts
(a salted database shows no id in clear, `forget` blanks the person's), which the zero bytes
hid from them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import tests.factories as f
from ingest.privacy import SALT_ENV, Privacy
from tests.conftest import IngestLines, Query
from tests.ingest.forget_setup import rejects_both_ways

PSID = "6512345678907777"
SAID = "my-utf16-secret-words"
UTF16 = "UTF-16 text, not UTF-8: save the log as UTF-8"


def _utf16(*items: f.Json) -> list[bytes]:
    return [f.line(f.delivery(item)).encode("utf-16-le") for item in items]


def _lines() -> list[bytes]:
    return _utf16(f.message(SAID, psid=PSID, ts=f.T0), f.message("other", psid="u2", ts=f.T0))


def test_a_salted_database_shows_no_id_or_text_of_a_utf16_line(
    ingest_lines: IngestLines, query: Query, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(SALT_ENV, "pepper-for-utf16")
    ingest_lines(_lines(), keep_text=False)
    rows = query("SELECT reason, raw FROM rejects ORDER BY line_no")
    assert [reason for reason, _ in rows] == [UTF16, UTF16]
    raw = rows[0][1]
    assert PSID not in raw.replace("\x00", "") and SAID not in raw.replace("\x00", ""), raw
    item = json.loads(raw)["entry"][0]["messaging"][0]
    assert item["sender"]["id"] == Privacy(salt=b"pepper-for-utf16").shown_id(PSID)
    assert item["message"]["text"] == f"<text removed: {len(SAID)} characters>"


def test_forget_blanks_the_person_out_of_a_utf16_line_either_way(
    tmp_path: Path, runner: CliRunner
) -> None:
    sql = "SELECT line_no, raw FROM rejects ORDER BY line_no"
    seen_first, forgot_first = rejects_both_ways(tmp_path, runner, _lines(), PSID, sql)
    for rows in (seen_first, forgot_first):
        (_, mine), (_, theirs) = rows
        assert PSID not in mine.replace("\x00", "") and SAID not in mine.replace("\x00", "")
        item = json.loads(mine)["entry"][0]["messaging"][0]
        assert item["sender"]["id"] == "<forgotten>"
        assert theirs == _lines()[1].decode("utf-8")  # another's line: as it came
    assert seen_first == forgot_first


def test_without_a_salt_or_a_forget_a_utf16_line_is_kept_as_it_came(
    ingest_lines: IngestLines, query: Query
) -> None:
    lines = _lines()
    ingest_lines(lines)
    raws = [raw for (raw,) in query("SELECT raw FROM rejects ORDER BY line_no")]
    assert raws == [x.decode("utf-8") for x in lines]
