"""Lines of UTF-16LE text appended to a UTF-8 log (PowerShell 5's `>>`) whose text holds a
character with the byte 0x0A in its code unit (上 U+4E0A `0A 4E`, 尊 U+5C0A `0A 5C`, and
ਅ U+0A05 `05 0A`): each such line is one `rejects` row, and the lines after it keep their
numbers (README). The appended text starts right after the UTF-8 line end, so each of its
lines tells where its code units start: the first as `c 00` (an ASCII character, then its
zero byte), each after it as `00 c 00` (the zero byte of the line end `0A 00` before it). A
UTF-8 line written after them starts with that zero byte too, no part of it: it is read.
Read from a file, a .gz, in batches cut anywhere, grown and read on, and pulled and pulled
again from its offset (tests/ingest/fetch_server.py)."""

from __future__ import annotations

import gzip
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import tests.factories as f
from ingest import pipeline, reasons, remote
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
    (line 8) and another (line 9)."""
    wide = "".join(
        f.line(f.delivery(f.message(t, psid=f"w{n}", mid=f"m_w{n}"))) + "\r\n"
        for n, t in enumerate(TEXTS, head + 1)
    )
    after = head + len(TEXTS) + 1
    return _utf8(*range(1, head + 1)) + wide.encode("utf-16-le") + _utf8(after, after + 1)


def _check(query: Query, head: int = 2) -> None:
    rows = query("SELECT line_no, reason FROM rejects ORDER BY 1")
    wide = range(head + 1, head + len(TEXTS) + 1)
    assert rows == [(n, UTF16) for n in wide], rows
    after = head + len(TEXTS) + 1
    assert query("SELECT line_no, psid FROM events ORDER BY 1") == [
        *((n, f"u{n}") for n in range(1, head + 1)),
        (after, f"u{after}"),  # after the zero byte of the UTF-16 line end before it
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
    assert result.rejects_by_reason == {"UTF-16 text, not UTF-8": len(TEXTS)}
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


def _after_last_shang(data: bytes) -> int:
    """The offset just past the last 上 (in line 34 of _log(head=30), "ਅ一ਅ 上")."""
    return data.rindex("上".encode("utf-16-le")) + 2


def _before_last_zero(data: bytes) -> int:
    """The offset just past the 0x0A of the last UTF-16 line end `0A 00`, before its zero."""
    return data.rindex("\n".encode("utf-16-le")) + 1


@pytest.mark.parametrize("gz", [False, True], ids=["plain", "gz"])
def test_a_utf8_line_read_on_after_the_zero_byte_of_a_utf16_line_end_gives_its_events(
    db_path: Path, query: Query, log_dir: Path, gz: bool
) -> None:
    """The first run finds the log ending between the 0x0A of the last UTF-16 line end and its
    zero byte (not written yet); the next run reads on from there, the UTF-16 line before
    rejected by the first: the UTF-8 line that starts with that zero byte is read."""
    data = _log()
    cut = _before_last_zero(data)
    path = log_dir / ("webhooks.ndjson.gz" if gz else "webhooks.ndjson")
    first = gzip.compress(data[:cut]) if gz else data[:cut]
    path.write_bytes(first)
    pipeline.run([str(path)], db_path)
    assert query("SELECT lines_done FROM ingest_files") == [(7,)]
    path.write_bytes(first + gzip.compress(data[cut:]) if gz else data)
    second = pipeline.run([str(path)], db_path)
    assert (second.lines, second.rejects_added) == (2, 0)  # read on from line 8
    _check(query)


@pytest.mark.usefixtures("fast_retries")
@pytest.mark.parametrize("gz", [False, True], ids=["plain", "gz"])
@pytest.mark.parametrize(
    ("cut_at", "read", "lines", "rejects"),
    [(_after_last_shang, 33, 4, 2), (_before_last_zero, 35, 2, 0)],
    ids=["after-shang", "before-zero"],
)
def test_a_pulled_log_cut_inside_an_appended_utf16_line_is_pulled_on_from_its_start(
    site: Any,
    db_path: Path,
    query: Query,
    gz: bool,
    cut_at: Callable[[bytes], int],
    read: int,
    lines: int,
    rejects: int,
) -> None:
    """The first pull's download ends just after 上 of an appended line, or between the 0x0A
    of the last UTF-16 line end and its zero byte: the next pull reads on from the line after
    the last it read (the fingerprint kept is of the bytes before it), not fetched whole
    again, and the UTF-8 line after that zero byte is read."""
    s, base = site
    data = _log(head=30)  # more than the overlap a pull asks for again before the offset
    cut = cut_at(data)
    assert cut > 4096
    name = "/webhooks.ndjson.gz" if gz else "/webhooks.ndjson"
    s.files[name] = gzip.compress(data[:cut]) if gz else data[:cut]
    assert remote.pull_logs(base + name, {}, db_path) is not None
    assert query("SELECT lines_done FROM ingest_files") == [(read,)]
    s.files[name] = gzip.compress(data) if gz else data
    second = remote.pull_logs(base + name, {}, db_path)
    assert second is not None and (second.lines, second.rejects_added) == (lines, rejects)
    if not gz:
        assert s.requests[-1]["Range"].startswith("bytes=")  # read on, not fetched whole again
    _check(query, head=30)


@pytest.mark.parametrize(
    ("before", "after", "kept"),
    [
        # A stray zero byte after a UTF-8 line is no UTF-16 line end's
        (_utf8(2), b"\x00" + _utf8(3), "\x00" + _utf8(3).decode().rstrip("\n")),
        # After a UTF-16 line end, what follows its zero byte is no JSON text
        ('{"a":1}\r\n'.encode("utf-16-le"), b'{"object":"page",\n', '\x00{"object":"page",'),
    ],
    ids=["after-utf8", "no-json"],
)
def test_a_line_that_starts_with_a_zero_byte_is_still_rejected_as_it_came(
    db_path: Path, query: Query, log_dir: Path, before: bytes, after: bytes, kept: str
) -> None:
    path = log_dir / "webhooks.ndjson"
    path.write_bytes(_utf8(1) + before + after)
    pipeline.run([str(path)], db_path)
    rows = query("SELECT line_no, reason, raw FROM rejects ORDER BY 1")
    assert rows[-1][0] == 3 and rows[-1][1].startswith("invalid JSON"), rows
    assert rows[-1][2] == kept
    assert query("SELECT line_no FROM events ORDER BY 1") == [
        (1,),
        *([(2,)] if b"\x00" in after else []),
    ]


def test_only_the_zero_byte_before_json_text_is_taken_off() -> None:
    assert reasons.after_utf16_end('\x00{"a":1}\r\n') == '{"a":1}\r\n'
    assert reasons.after_utf16_end('\x00\ufeff{"a":1}\n') == '{"a":1}\n'  # and a mark
    assert reasons.after_utf16_end('\x00{"a":\n') is None
    assert reasons.after_utf16_end('\x00\x00{"a":1}\n') is None
    assert reasons.after_utf16_end('{"a":1}\n') is None
