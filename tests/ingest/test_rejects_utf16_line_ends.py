"""A log saved as UTF-16 whose text holds a character with the byte 0x0A in its code unit
(上 U+4E0A, 尊 U+5C0A, Ċ U+010A), or the two bytes of a line end across two characters
(ਅ U+0A05 then 一 U+4E00 hold `0A 00` little-endian, 一 then ਅ `00 0A` big-endian, each
astride two code units): a line ends only at the code unit 0x000A, so each line is one
`rejects` row under its own number (README), read from a file, a .gz, in batches cut anywhere,
grown and read on, or pulled and pulled again from its offset (tests/ingest/fetch_server.py)."""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Any

import pytest

import tests.factories as f
from ingest import pipeline, remote
from tests.conftest import Query

UTF16 = "UTF-16 text, not UTF-8: save the log as UTF-8"
TEXTS = ["上海", "尊敬的客户 Ċ", "ਅ一ਅ 上", "hi 上海", "ok"]
ENCODINGS = ["utf-16", "utf-16-le", "utf-16-be"]


def _log(texts: list[str], encoding: str) -> bytes:
    lines = [f.line(f.delivery(f.message(t, psid=f"u{n}", mid=f"m_{n}"))) for n, t in
             enumerate(texts, 1)]  # fmt: skip
    return "".join(x + "\r\n" for x in lines).encode(encoding)


def _rejects(query: Query, n: int) -> None:
    assert query("SELECT line_no, reason FROM rejects ORDER BY 1") == [
        (k, UTF16) for k in range(1, n + 1)
    ]


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize("gz", [False, True], ids=["plain", "gz"])
def test_each_line_of_utf16_text_is_one_reject(
    db_path: Path, query: Query, log_dir: Path, encoding: str, gz: bool
) -> None:
    data = _log(TEXTS, encoding)
    path = log_dir / ("exported.ndjson.gz" if gz else "exported.ndjson")
    path.write_bytes(gzip.compress(data) if gz else data)
    result = pipeline.run([str(path)], db_path)
    assert result.rejects_by_reason == {"UTF-16 text, not UTF-8": len(TEXTS)}
    _rejects(query, len(TEXTS))
    assert pipeline.run([str(path)], db_path).rejects_added == 0


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize("gz", [False, True], ids=["plain", "gz"])
@pytest.mark.parametrize("batch", ["7", "64", "333"])
def test_batches_cut_anywhere_keep_each_line_whole(
    db_path: Path,
    query: Query,
    log_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    encoding: str,
    gz: bool,
    batch: str,
) -> None:
    """Batches of a few bytes end at every place of the text, also just after a 0x0A byte."""
    monkeypatch.setenv("REFSCOPE_INGEST_BATCH", batch)
    data = _log(TEXTS * 3, encoding)
    path = log_dir / ("exported.ndjson.gz" if gz else "exported.ndjson")
    path.write_bytes(gzip.compress(data) if gz else data)
    pipeline.run([str(path)], db_path)
    _rejects(query, 3 * len(TEXTS))


def _cut_after(data: bytes, char: str, encoding: str) -> int:
    """The offset just after the last code unit of char in data (of a log in encoding)."""
    unit = char.encode("utf-16-be" if encoding.endswith("be") else "utf-16-le")
    return data.rindex(unit) + len(unit)


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize("gz", [False, True], ids=["plain", "gz"])
def test_a_grown_utf16_log_is_read_on_from_a_line_end(
    db_path: Path, query: Query, log_dir: Path, encoding: str, gz: bool
) -> None:
    """The first run finds the log cut just after 上 of its last line, whose 0x0A byte is no
    line end: it reads up to the line before, and the next run reads on from there."""
    data = _log(TEXTS, encoding)
    cut = _cut_after(data, "上", encoding)  # in the fourth line, "hi 上海"
    path = log_dir / ("exported.ndjson.gz" if gz else "exported.ndjson")
    path.write_bytes(gzip.compress(data[:cut]) if gz else data[:cut])
    pipeline.run([str(path)], db_path)
    if not gz:  # a .gz cut short is read once it is whole
        ((lines_done,),) = query("SELECT lines_done FROM ingest_files")
        assert lines_done == 3
    if gz:
        path.write_bytes(gzip.compress(data[:cut]) + gzip.compress(data[cut:]))
    else:
        path.write_bytes(data)
    pipeline.run([str(path)], db_path)
    _rejects(query, len(TEXTS))
    assert query("SELECT lines_done FROM ingest_files") == [(len(TEXTS),)]


@pytest.mark.usefixtures("fast_retries")
@pytest.mark.parametrize("encoding", ENCODINGS)
def test_a_pulled_utf16_log_is_pulled_on_from_a_line_end(
    site: Any, db_path: Path, query: Query, encoding: str
) -> None:
    """More than the overlap a pull asks for again is read first, so the second pull's spool
    starts inside the text; the line read last before the offset holds 上, and the first
    pull's download ended just after 上 of a line not finished yet."""
    s, base = site
    texts = TEXTS * 6
    data = _log(texts, encoding)
    cut = _cut_after(data, "上", encoding)  # in the last "hi 上海"
    assert cut > 4096
    s.files["/exported.ndjson"] = data[:cut]
    first = remote.pull_logs(base + "/exported.ndjson", {}, db_path)
    assert first is not None
    _rejects(query, len(texts) - 1)  # the last one too, unfinished: read again
    s.files["/exported.ndjson"] = data
    second = remote.pull_logs(base + "/exported.ndjson", {}, db_path)
    assert second is not None
    assert s.requests[-1]["Range"].startswith("bytes=")  # read on, not fetched whole again
    _rejects(query, len(texts))


@pytest.mark.usefixtures("fast_retries")
@pytest.mark.parametrize("encoding", ENCODINGS)
def test_a_pulled_utf16_gz_export_grown_is_read_on_from_a_line_end(
    site: Any, db_path: Path, query: Query, encoding: str
) -> None:
    """A .gz export whose text ended just after 上 of a line not finished yet, compressed anew
    with more lines: only the lines after the one read last are new."""
    s, base = site
    data = _log(TEXTS, encoding)
    cut = _cut_after(data, "上", encoding)  # in the fourth line, "hi 上海"
    s.files["/exported.ndjson.gz"] = gzip.compress(data[:cut])
    assert remote.pull_logs(base + "/exported.ndjson.gz", {}, db_path) is not None
    s.files["/exported.ndjson.gz"] = gzip.compress(data)
    second = remote.pull_logs(base + "/exported.ndjson.gz", {}, db_path)
    assert second is not None
    assert second.rejects_by_reason == {"UTF-16 text, not UTF-8": 2}  # the fourth and fifth
    _rejects(query, len(TEXTS))


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf8_lines_appended_to_a_utf16_log_are_read_line_by_line(
    db_path: Path, query: Query, log_dir: Path, encoding: str
) -> None:
    """PowerShell 5's Add-Content appends UTF-8 (or ANSI) text to a log begun as UTF-16 by `>`:
    a line that does not start as UTF-16 text ends at its newline, so each appended delivery
    is read (little-endian, the first starts with the zero byte of the last line end `0A 00`,
    no part of it)."""
    path = log_dir / "exported.ndjson"
    utf8 = [f.line(f.delivery(f.message("hi", psid=f"u{n}", mid=f"m_{n}"))) for n in (3, 4)]
    path.write_bytes(_log(TEXTS[:2], encoding) + "".join(x + "\n" for x in utf8).encode())
    result = pipeline.run([str(path)], db_path)
    assert result.events_added == 2
    assert query("SELECT line_no, reason FROM rejects ORDER BY 1") == [(1, UTF16), (2, UTF16)]
    assert query("SELECT line_no, psid FROM events ORDER BY 1") == [(3, "u3"), (4, "u4")]
