"""Lines of UTF-16LE text appended to a UTF-8 log (PowerShell 5's `>>`) whose text holds a
character with the byte 0x0A in its code unit (上 U+4E0A `0A 4E`, 尊 U+5C0A `0A 5C`, and
ਅ U+0A05 `05 0A`): each such line is one `rejects` row, and the lines after it keep their
numbers (README). The appended text starts right after the UTF-8 line end, so each of its
lines tells where its code units start: the first as `c 00` (an ASCII character, then its
zero byte), each after it as `00 c 00` (the zero byte of the line end `0A 00` before it).
Read from a file, a .gz, in batches cut anywhere, grown and read on, and pulled and pulled
again from its offset (tests/ingest/fetch_server.py)."""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Any

import pytest

import tests.factories as f
from ingest import pipeline, remote
from tests.conftest import Query

UTF16 = "UTF-16 text, not UTF-8: save the log as UTF-8"
# 上 twice with no ASCII character between them (no zero byte between the two 0x0A bytes)
TEXTS = ["上海", "尊敬的客户", "我想上课，上午还是下午", "ਅ一ਅ 上", "ok"]


def _utf8(*ns: int) -> bytes:
    return "".join(
        f.line(f.delivery(f.message("hi", psid=f"u{n}", mid=f"m_{n}"))) + "\n" for n in ns
    ).encode()


def _log(head: int = 2) -> bytes:
    """head UTF-8 lines, the TEXTS' lines appended as UTF-16LE (lines 3 to 7 when head is 2),
    and, written after them, a UTF-8 line with the zero byte of the last line end before it
    (line 8, a reject as before) and another (line 9)."""
    wide = "".join(
        f.line(f.delivery(f.message(t, psid=f"w{n}", mid=f"m_w{n}"))) + "\r\n"
        for n, t in enumerate(TEXTS, head + 1)
    )
    after = head + len(TEXTS) + 1
    return _utf8(*range(1, head + 1)) + wide.encode("utf-16-le") + _utf8(after, after + 1)


def _check(query: Query, head: int = 2) -> None:
    rows = query("SELECT line_no, reason FROM rejects ORDER BY 1")
    wide = range(head + 1, head + len(TEXTS) + 1)
    assert rows[: len(TEXTS)] == [(n, UTF16) for n in wide], rows
    after = head + len(TEXTS) + 1
    assert [n for n, _ in rows[len(TEXTS) :]] == [after]
    assert query("SELECT line_no, psid FROM events ORDER BY 1") == [
        *((n, f"u{n}") for n in range(1, head + 1)),
        (after + 1, f"u{after + 1}"),
    ]
    assert query("SELECT lines_done FROM ingest_files") == [(after + 1,)]


@pytest.mark.parametrize("gz", [False, True], ids=["plain", "gz"])
@pytest.mark.parametrize("batch", ["", "7", "64", "333"])
def test_each_appended_utf16_line_is_one_reject_whatever_the_batches(
    db_path: Path,
    query: Query,
    log_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    gz: bool,
    batch: str,
) -> None:
    if batch:  # batches of a few bytes end at every place of the text, also after 0x0A
        monkeypatch.setenv("REFSCOPE_INGEST_BATCH", batch)
    data = _log()
    path = log_dir / ("webhooks.ndjson.gz" if gz else "webhooks.ndjson")
    path.write_bytes(gzip.compress(data) if gz else data)
    result = pipeline.run([str(path)], db_path)
    assert result.rejects_by_reason == {"UTF-16 text, not UTF-8": len(TEXTS), "invalid JSON": 1}
    _check(query)
    assert pipeline.run([str(path)], db_path).rejects_added == 0


@pytest.mark.parametrize("gz", [False, True], ids=["plain", "gz"])
@pytest.mark.parametrize("char", ["上", "尊"])
def test_a_grown_log_cut_inside_an_appended_utf16_line_is_read_on_from_its_start(
    db_path: Path, query: Query, log_dir: Path, gz: bool, char: str
) -> None:
    """The first run finds the log cut just after a character whose 0x0A byte is no line end:
    it reads up to the line before, and the next run reads that line whole."""
    data = _log()
    cut = data.index(char.encode("utf-16-le")) + 2
    path = log_dir / ("webhooks.ndjson.gz" if gz else "webhooks.ndjson")
    path.write_bytes(gzip.compress(data[:cut]) if gz else data[:cut])
    pipeline.run([str(path)], db_path)
    if not gz:  # a .gz cut short is read once it is whole
        assert query("SELECT lines_done FROM ingest_files") == [(2 if char == "上" else 3,)]
    path.write_bytes(gzip.compress(data[:cut]) + gzip.compress(data[cut:]) if gz else data)
    pipeline.run([str(path)], db_path)
    _check(query)


def test_utf8_text_after_an_appended_utf16_line_without_its_line_end_is_still_read(
    db_path: Path, query: Query, log_dir: Path
) -> None:
    """A UTF-16 line written without its line end (`-NoNewline`), then UTF-8 deliveries: the
    first is on that line (one reject, as before), and a line of UTF-8 JSON holds no zero
    byte, so the UTF-16 line ends at the 0x0A before the next: every one after it is read."""
    wide = f.line(f.delivery(f.message("上", psid="w3", mid="m_w3"))).encode("utf-16-le")
    path = log_dir / "webhooks.ndjson"
    path.write_bytes(_utf8(1, 2) + wide + _utf8(4, 5, 6))
    pipeline.run([str(path)], db_path)
    assert query("SELECT line_no, psid FROM events ORDER BY 1") == [
        (1, "u1"), (2, "u2"), (4, "u5"), (5, "u6"),
    ]  # fmt: skip


@pytest.mark.usefixtures("fast_retries")
@pytest.mark.parametrize("gz", [False, True], ids=["plain", "gz"])
def test_a_pulled_log_cut_inside_an_appended_utf16_line_is_pulled_on_from_its_start(
    site: Any, db_path: Path, query: Query, gz: bool
) -> None:
    """The first pull's download ends just after 上 of an appended line: the next pull reads
    on from that line's start (the fingerprint kept is of the bytes before it), not fetched
    whole again."""
    s, base = site
    data = _log(head=30)  # more than the overlap a pull asks for again before the offset
    cut = data.rindex("上".encode("utf-16-le")) + 2  # in line 34, "ਅ一ਅ 上"
    assert cut > 4096
    name = "/webhooks.ndjson.gz" if gz else "/webhooks.ndjson"
    s.files[name] = gzip.compress(data[:cut]) if gz else data[:cut]
    assert remote.pull_logs(base + name, {}, db_path) is not None
    assert query("SELECT lines_done FROM ingest_files") == [(33,)]
    s.files[name] = gzip.compress(data) if gz else data
    second = remote.pull_logs(base + name, {}, db_path)
    assert second is not None and second.lines == 4  # lines 34 to 37
    if not gz:
        assert s.requests[-1]["Range"].startswith("bytes=")  # read on, not fetched whole again
    _check(query, head=30)
