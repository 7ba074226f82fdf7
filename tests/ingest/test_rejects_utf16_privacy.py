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
from ingest import pipeline
from ingest.privacy import SALT_ENV, Privacy
from tests.conftest import IngestLines, Query
from tests.ingest.forget_setup import rejects_both_ways

PSID = "6512345678907777"
SAID = "my-utf16-secret-words"
UTF16 = "UTF-16 text, not UTF-8: save the log as UTF-8"


def _utf16(*items: f.Json) -> list[bytes]:
    """The lines of a UTF-16LE log as the reader cuts them, each written with a 0x0A byte after
    it: a line ends with `0D 00 0A 00`, its zero starting the next line (as it is read)."""
    return [
        b"\x00" * bool(n) + (f.line(f.delivery(item)) + "\r").encode("utf-16-le")
        for n, item in enumerate(items)
    ]


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


# Texts beyond ASCII (none holds a code unit with a 0x0A byte): Hebrew, Chinese, an emoji
# (two UTF-16 code units, one character).
TEXTS = ["שלום, אני רוצה להזמין", "你好，我想订购两件衣服，谢谢你们", "🎉 party time"]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_a_salted_database_counts_the_characters_of_a_utf16_text_it_removes(
    db_path: Path, log_dir: Path, query: Query, monkeypatch: pytest.MonkeyPatch, encoding: str
) -> None:
    """The placeholder says how many characters the text had (as `text_length` counts them),
    not how many escaped bytes its UTF-16 code units were read as; in either byte order, a
    line after the first starting with the zero byte of the line end before it, and the ids
    of a line holding such text are found too."""
    monkeypatch.setenv(SALT_ENV, "pepper-for-utf16")
    items = [f.message(t, psid=f"65123456789{n}7777", ts=f.T0) for n, t in enumerate(TEXTS)]
    path = log_dir / "exported.ndjson"
    path.write_bytes("".join(f.line(f.delivery(i)) + "\r\n" for i in items).encode(encoding))
    result = pipeline.run([str(path)], db_path, keep_text=False)
    assert result.rejects_by_reason == {"UTF-16 text, not UTF-8": 3}
    rows = query("SELECT line_no, raw FROM rejects ORDER BY line_no")
    assert [n for n, _ in rows] == [1, 2, 3]
    for n, ((_, raw), text) in enumerate(zip(rows, TEXTS, strict=True)):
        removed = f"<text removed: {len(text)} characters>"
        assert f'"{removed}"' in raw, raw
        if not raw.startswith("\\x"):  # but for the byte order mark, the line's own JSON
            assert json.loads(raw)["entry"][0]["messaging"][0]["message"]["text"] == removed
        assert text not in raw and f"65123456789{n}7777" not in raw.replace("\x00", ""), raw
        shown = Privacy(salt=b"pepper-for-utf16").shown_id(f"65123456789{n}7777")
        assert f'"{shown}"' in raw, raw
