"""A log saved as UTF-16 without a byte order mark whose first line holds text beyond ASCII
(Hebrew, Chinese): its start is still told as UTF-16 text, so each of its lines is rejected as
such (README), a file or a .gz (a pull: test_rejects_utf16_pulled.py). JSON text starts with
an ASCII character (`{`), and a zero byte beside it is in no UTF-8 JSON text; the characters
after it may be anything. Each line of UTF-16 text appended to a UTF-8 log is
rejected so too."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from ingest import pipeline, reasons
from tests.conftest import Query

UTF16 = "UTF-16 text, not UTF-8: save the log as UTF-8"
TEXTS = ["שלום, מה שלומך?", "你好，我想订购", "hi"]


def _line(n: int, text: str) -> str:
    return (
        '{"object":"page","entry":[{"id":"1","time":1700000000000,"messaging":[{"sender":'
        f'{{"id":"u{n}"}},"recipient":{{"id":"1"}},"timestamp":1700000000000,'
        f'"message":{{"mid":"m_{n}","text":"{text}"}}}}]}}]}}'
    )


def _log(encoding: str) -> bytes:
    return "".join(_line(n, t) + "\r\n" for n, t in enumerate(TEXTS, 1)).encode(encoding)


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
@pytest.mark.parametrize("gz", [False, True])
def test_a_utf16_log_whose_first_line_is_not_ascii_has_each_line_rejected_as_utf16(
    db_path: Path, query: Query, log_dir: Path, encoding: str, gz: bool
) -> None:
    data = _log(encoding)
    path = log_dir / ("exported.ndjson.gz" if gz else "exported.ndjson")
    path.write_bytes(gzip.compress(data) if gz else data)
    result = pipeline.run([str(path)], db_path)
    assert result.rejects_by_reason == {"UTF-16 text, not UTF-8": 3}
    assert query("SELECT line_no, reason FROM rejects ORDER BY 1") == [
        (n, UTF16) for n in (1, 2, 3)
    ]
    assert query("SELECT count(*) FROM events") == [(0,)]


@pytest.mark.parametrize(
    "head",
    [
        b'\x00{"object":"page"}\n',  # a stray zero byte before UTF-8 JSON text
        b'{"object":"page"}\n',
        b"\x00\x00\x00\x00\n",
        b"",
    ],
)
def test_utf8_text_or_zero_bytes_alone_are_not_told_utf16(head: bytes) -> None:
    assert not reasons.starts_utf16(head)


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_lines_appended_to_a_utf8_log_are_each_rejected_as_utf16(
    db_path: Path, query: Query, log_dir: Path, encoding: str
) -> None:
    """PowerShell 5's `>>` appends UTF-16 without a byte order mark to a log begun as UTF-8:
    the UTF-8 lines are read, and each appended line, also one holding Hebrew (no longer
    "invalid UTF-8 at byte N"), is rejected as UTF-16 text; the zero byte after a
    little-endian last line end is no line of its own."""
    path = log_dir / "webhooks.ndjson"
    utf8 = "".join(_line(n, "hi") + "\n" for n in (1, 2)).encode()
    path.write_bytes(
        utf8 + "".join(_line(n, t) + "\r\n" for n, t in [(3, "hi"), (4, TEXTS[0])]).encode(encoding)
    )
    result = pipeline.run([str(path)], db_path)
    assert result.events_added == 2
    assert query("SELECT line_no, reason FROM rejects ORDER BY 1") == [(3, UTF16), (4, UTF16)]
    assert pipeline.run([str(path)], db_path).rejects_added == 0
