"""A log saved as UTF-16 and pulled over HTTP (`pull logs`): each of its lines is rejected as
UTF-16 text, as a file's are (README), also a line past the first holding text beyond ASCII,
which has no byte order mark of its own, and a log without a mark whose first line holds
Hebrew or Chinese; and the zero byte after a UTF-16LE log's last line end is no line of its
own. The server: tests/ingest/fetch_server.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import tests.factories as f
from ingest import remote
from tests.conftest import Query

pytestmark = pytest.mark.usefixtures("fast_retries")

UTF16 = "UTF-16 text, not UTF-8: save the log as UTF-8"
TEXTS = [("u1", "hi"), ("u2", "café au lait"), ("u3", "🎉 party")]
# A first line beyond ASCII: without a byte order mark, the log is told by its first characters.
NOT_ASCII = [("u1", "שלום, מה שלומך?"), ("u2", "你好，我想订购"), ("u3", "hi")]


def _log(texts: list[tuple[str, str]], encoding: str) -> bytes:
    lines = [f.line(f.delivery(f.message(t, psid=p, mid=f"m_{p}"))) for p, t in texts]
    return "".join(x + "\r\n" for x in lines).encode(encoding)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
@pytest.mark.parametrize("texts", [TEXTS, NOT_ASCII], ids=["ascii_first", "not_ascii_first"])
def test_a_pulled_utf16_log_has_one_reject_per_line(
    site: Any, db_path: Path, query: Query, encoding: str, texts: list[tuple[str, str]]
) -> None:
    s, base = site
    s.files["/exported.ndjson"] = _log(texts, encoding)
    result = remote.pull_logs(base + "/exported.ndjson", {}, db_path)
    assert result is not None
    assert result.rejects_by_reason == {"UTF-16 text, not UTF-8": 3}
    assert query("SELECT line_no, reason FROM rejects ORDER BY 1") == [
        (n, UTF16) for n in (1, 2, 3)
    ]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be"])
@pytest.mark.parametrize("last", ["hi", NOT_ASCII[0][1]], ids=["ascii", "hebrew"])
def test_a_pulled_utf16_log_read_on_from_its_offset_is_still_utf16(
    site: Any, db_path: Path, query: Query, encoding: str, last: str
) -> None:
    """The next pull asks for the bytes after the offset (a Range): its spool starts with the
    bytes just before the offset, not with the file's start or its byte order mark. The line
    read last before the offset (ASCII, or Hebrew) says the log is UTF-16 text."""
    s, base = site
    read = [(f"u{n}", "hi") for n in range(39)] + [("u39", last)]
    whole = _log(read + TEXTS, encoding)
    first = _log(read, encoding)
    s.files["/exported.ndjson"] = first[:-1] if encoding == "utf-16" else first
    assert remote.pull_logs(base + "/exported.ndjson", {}, db_path) is not None
    s.files["/exported.ndjson"] = whole
    second = remote.pull_logs(base + "/exported.ndjson", {}, db_path)
    assert s.requests[-1]["Range"].startswith("bytes=")
    assert second is not None
    assert second.rejects_by_reason == {"UTF-16 text, not UTF-8": 3}
    assert query("SELECT count(*), count(DISTINCT reason), max(line_no) FROM rejects") == [
        (43, 1, 43)
    ]
