"""A log saved as UTF-16LE (PowerShell 5's `>`): each line end is two bytes, a newline and a
zero byte, so after the last one a zero byte is left with no newline after it. It is the rest
of that line end, not a line: the log's lines are each rejected as UTF-16 text (README), with
no "unfinished last line" beside them that no later run could finish. A stray zero byte after
UTF-8 text is still a last line of its own, rejected as invalid JSON."""

from __future__ import annotations

import zlib
from pathlib import Path

import pytest

import tests.factories as f
from ingest import pipeline
from tests.conftest import Query

UTF16 = "UTF-16 text, not UTF-8: save the log as UTF-8"
LINES = [f.line(f.delivery(f.message("hi", psid=p, mid=f"m_{p}"))) for p in ("u1", "u2")]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le"])  # with its mark, and without
@pytest.mark.parametrize("end", ["\r\n", "\n"])
def test_a_utf16_log_has_one_reject_per_line(
    db_path: Path, query: Query, log_dir: Path, encoding: str, end: str
) -> None:
    path = log_dir / "exported.ndjson"
    path.write_bytes("".join(x + end for x in LINES).encode(encoding))
    result = pipeline.run([str(path)], db_path)
    assert result.rejects_by_reason == {"UTF-16 text, not UTF-8": 2}
    assert query("SELECT line_no, reason FROM rejects ORDER BY 1") == [(1, UTF16), (2, UTF16)]
    assert pipeline.run([str(path)], db_path).rejects_added == 0


def test_the_zero_byte_written_after_a_run_read_the_line_is_no_line_either(
    db_path: Path, query: Query, log_dir: Path
) -> None:
    """A run that read up to the last newline; the zero byte after it came later."""
    path = log_dir / "exported.ndjson"
    data = "".join(x + "\r\n" for x in LINES).encode("utf-16")
    path.write_bytes(data[:-1])
    assert pipeline.run([str(path)], db_path).rejects_by_reason == {"UTF-16 text, not UTF-8": 2}
    path.write_bytes(data)
    assert pipeline.run([str(path)], db_path).rejects_added == 0
    assert query("SELECT line_no, reason FROM rejects ORDER BY 1") == [(1, UTF16), (2, UTF16)]


def test_a_zero_byte_after_utf8_lines_is_still_a_last_line(
    db_path: Path, query: Query, log_dir: Path
) -> None:
    path = log_dir / "webhooks.ndjson"
    path.write_bytes(("\n".join(LINES) + "\n\x00").encode())
    result = pipeline.run([str(path)], db_path)
    assert result.events_added == 2
    ((line_no, reason),) = query("SELECT line_no, reason FROM rejects")
    assert line_no == 3 and reason.startswith("unfinished last line"), reason


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_a_utf16_log_with_accents_and_emoji_has_one_reject_per_line(
    db_path: Path, query: Query, log_dir: Path, encoding: str
) -> None:
    """A line past the first holding text beyond ASCII (a receiver that wrote "café" or "🎉" as
    such) has no byte order mark of its own: it was "invalid UTF-8 at byte N", and after it
    the zero byte of the last line end an "unfinished last line" that no run would finish.
    The file's start says it is UTF-16 text: so is each of its lines (README)."""
    texts = [("u1", "hi"), ("u2", "café au lait"), ("u3", "🎉 party")]
    lines = [f.line(f.delivery(f.message(t, psid=p, mid=f"m_{p}"))) for p, t in texts]
    path = log_dir / "exported.ndjson"
    path.write_bytes("".join(x + "\r\n" for x in lines).encode(encoding))
    result = pipeline.run([str(path)], db_path)
    assert result.rejects_by_reason == {"UTF-16 text, not UTF-8": 3}
    assert query("SELECT line_no, reason FROM rejects ORDER BY 1") == [
        (n, UTF16) for n in (1, 2, 3)
    ]
    assert pipeline.run([str(path)], db_path).rejects_added == 0


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_a_blank_line_of_a_utf16_log_with_lf_line_ends_is_utf16_text_too(
    db_path: Path, query: Query, log_dir: Path, encoding: str
) -> None:
    """A blank line of UTF-16 text with LF line ends reads as a zero byte and a newline: it was
    rejected as invalid JSON, and a little-endian log's last zero byte after it as an
    unfinished last line. It is a line of UTF-16 text, as a blank one with CRLF ends is."""
    path = log_dir / "exported.ndjson"
    path.write_bytes("".join(x + "\n\n" for x in LINES).encode(encoding))
    result = pipeline.run([str(path)], db_path)
    assert result.rejects_by_reason == {"UTF-16 text, not UTF-8": 4}
    assert query("SELECT line_no, reason FROM rejects ORDER BY 1") == [
        (n, UTF16) for n in (1, 2, 3, 4)
    ]
    assert pipeline.run([str(path)], db_path).rejects_added == 0


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be"])
def test_a_utf16_gz_still_being_written_has_its_lines_rejected_as_utf16(
    db_path: Path, query: Query, log_dir: Path, encoding: str
) -> None:
    """A .gz whose compressed stream ends early (its writer is still at it) is read up to the
    cut: its start says it is UTF-16 text as a whole file's does, also when the cut comes
    before the first bytes read to tell it."""
    texts = [("u1", "hi"), ("u2", "café au lait"), ("u3", "🎉 party")]
    lines = [f.line(f.delivery(f.message(t, psid=p, mid=f"m_{p}"))) for p, t in texts]
    data = "".join(x + "\r\n" for x in lines).encode(encoding)
    two = len("".join(x + "\r\n" for x in lines[:2]).encode(encoding))
    packer = zlib.compressobj(wbits=31)  # gzip
    begun = packer.compress(data[:two]) + packer.flush(zlib.Z_SYNC_FLUSH)
    path = log_dir / "exported.ndjson.gz"
    path.write_bytes(begun)
    first = pipeline.run([str(path)], db_path)
    assert any("ends early" in w for w in first.warnings), first.warnings
    assert query("SELECT line_no, reason FROM rejects ORDER BY 1") == [(1, UTF16), (2, UTF16)]
    path.write_bytes(begun + packer.compress(data[two:]) + packer.flush())  # written to its end
    assert pipeline.run([str(path)], db_path).rejects_by_reason == {"UTF-16 text, not UTF-8": 1}
    assert query("SELECT line_no, reason FROM rejects ORDER BY 1") == [
        (n, UTF16) for n in (1, 2, 3)
    ]
