"""Nothing lost to a line's encoding: bytes that are not UTF-8, a byte order mark, CRLF line
ends, UTF-16 logs, and characters Python reads but DuckDB does not (test_rejects.py: the other
rejected lines and the summary by reason).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import tests.factories as f
from ingest import pipeline
from tests.conftest import Query
from tests.factories import T0


def test_lines_that_are_not_utf8_are_rejected_and_their_neighbours_kept(
    ingest_lines, query: Query
) -> None:
    texts = ["caf\u00e9 \u2615", "plain", "\U0001f950 croissant?", "na\u00efve"]
    lines: list[Any] = [f.delivery(f.message(texts[0], psid="u1", ts=T0, mid="m_0"))]
    lines.append(b'{"object": "page", "entry": [\xe9\xff]}')
    lines.append(f.delivery(f.message(texts[1], psid="u1", ts=T0 + 1, mid="m_1")))
    lines.append(b'{"object": "page", "x": "\xc3"}')  # a multi-byte character cut short
    lines += [f.delivery(f.message(t, psid="u2", ts=T0 + 2 + i, mid=f"m_{2 + i}"))
              for i, t in enumerate(texts[2:])]  # fmt: skip
    result = ingest_lines(lines)
    assert (result.events_added, result.rejects_added) == (4, 2)
    assert result.rejects_by_reason == {"invalid UTF-8": 2}  # the summary groups the offsets
    assert query("SELECT text FROM events ORDER BY mid") == [(t,) for t in texts]
    assert query("SELECT line_no, reason FROM rejects ORDER BY line_no") == [
        (2, "invalid UTF-8 at byte 29"),
        (4, "invalid UTF-8 at byte 25"),
    ]


def test_a_line_whose_only_byte_not_utf8_is_its_first_is_rejected_as_such(
    ingest_lines, query: Query
) -> None:
    good = f.delivery(f.message("hi", psid="u1", mid="m_1"))
    result = ingest_lines([good, b"\xff" + f.line(good).encode(), good])
    assert (result.events_added, result.rejects_added) == (1, 1)
    assert query("SELECT line_no, reason FROM rejects") == [(2, "invalid UTF-8 at byte 0")]


VALID = f.line(f.delivery(f.message("hi", psid="u1", mid="m_1")))


NOT_QUITE_JSON = [
    pytest.param("\x0c" + VALID, id="form-feed-before-json"),
    pytest.param("\u00a0" + VALID, id="no-break-space-before-json"),
    pytest.param(VALID.replace('"hi"', '"\\ud83d"'), id="lone-surrogate-escape"),
]


@pytest.mark.parametrize("text", NOT_QUITE_JSON)
def test_line_python_reads_but_duckdb_does_not_is_not_silently_vague(
    ingest_lines, query: Query, text: str
) -> None:
    ingest_lines([text])
    events = query("SELECT kind FROM events")
    reasons = [r[0] for r in query("SELECT reason FROM rejects")]
    # Either the line is read, or the reason says what is wrong with it.
    assert events == [("message",)] or (
        len(reasons) == 1 and reasons[0].startswith("invalid JSON: ")
    ), reasons


def test_a_byte_order_mark_and_crlf_line_ends_lose_nothing(ingest_lines, query: Query) -> None:
    # A log saved by a Windows tool: a UTF-8 byte order mark and CRLF line ends.
    second = f.line(f.delivery(f.message("yo", psid="u2", mid="m_2")))
    ingest_lines([b"\xef\xbb\xbf" + VALID.encode() + b"\r", second.encode() + b"\r"])
    assert query("SELECT psid, line_no FROM events ORDER BY 2") == [("u1", 1), ("u2", 2)]
    assert query("SELECT count(*) FROM rejects") == [(0,)]
    # A marked line that is broken for another reason is rejected as it came, mark and all.
    ingest_lines(["\ufeff" + VALID[:-1]], name="broken.ndjson")
    assert query("SELECT raw, reason LIKE 'invalid JSON: %' FROM rejects") == [
        ("\ufeff" + VALID[:-1], True)
    ]


def test_a_marked_line_read_on_its_second_pass_keeps_its_malformed_items_reject(
    ingest_lines, query: Query
) -> None:
    """A line DuckDB reads only once its byte order mark is gone is judged again: a malformed
    item in it is rejected as in any other line, beside its good items' events."""
    no_sender = f.message(psid="u9", mid="m_9")
    del no_sender["sender"]
    marked = "\ufeff" + f.line(f.delivery(f.message("hi", psid="u1", mid="m_1"), no_sender))
    result = ingest_lines([marked, "\ufeff" + f.line(f.delivery(no_sender))])
    assert query("SELECT line_no, reason FROM rejects ORDER BY line_no") == [
        (1, "partly rejected: entry[0].messaging[1]: no sender id"),
        (2, "entry[0].messaging[0]: no sender id"),
    ]
    assert query("SELECT psid, line_no FROM events") == [("u1", 1)]
    assert (result.events_added, result.rejects_added) == (1, 2)


def test_a_line_fixed_for_its_second_pass_and_still_rejected_is_kept_as_it_came(
    ingest_lines, query: Query
) -> None:
    """The mark and a lone surrogate escape are taken out only for DuckDB to read the line:
    if it is rejected all the same, its reject row holds it as it came, mark and escape."""
    no_sender = f.message(psid="u9", mid="m_9")
    del no_sender["sender"]
    marked = "\ufeff" + f.line(f.delivery(no_sender))
    good = f.message("hi", psid="u8", mid="m_8")
    escaped = f.line(f.delivery(good, no_sender)).replace('"hi"', '"\\ud83d"')
    ingest_lines([marked, escaped])
    assert query("SELECT line_no, raw FROM rejects ORDER BY line_no") == [(1, marked), (2, escaped)]


def test_a_marked_line_broken_for_another_reason_names_that_fault_not_the_mark(
    ingest_lines, query: Query
) -> None:
    """The mark is read as if absent, also when the line is rejected: its reason is what is
    wrong after the mark (at a character counted in the line as it came), not "Unexpected
    UTF-8 BOM", which sent the team to take out a mark that was not the fault."""
    broken = VALID.replace(',"entry"', ' "entry"', 1)
    plain = ingest_lines([broken], name="plain.ndjson")
    reason = query("SELECT reason FROM rejects")[0][0]
    assert reason.startswith("invalid JSON: Expecting ',' delimiter at character ")
    at = int(reason.rsplit(" ", 1)[1])
    ingest_lines(["\ufeff" + broken], name="marked.ndjson")
    assert query("SELECT raw, reason FROM rejects WHERE file LIKE '%marked.ndjson'") == [
        ("\ufeff" + broken, f"invalid JSON: Expecting ',' delimiter at character {at + 1}")
    ]
    assert plain.rejects_added == 1


def test_a_byte_order_mark_alone_is_a_blank_line(ingest_lines, query: Query) -> None:
    """An empty log saved by a Windows tool holds the mark alone (or with a line end): read as if
    absent, that is a blank line, not a reject ("Unexpected UTF-8 BOM")."""
    result = ingest_lines([b"\xef\xbb\xbf\r", VALID, b"\xef\xbb\xbf  \t"])
    assert (result.lines, result.rejects_added) == (3, 0)
    assert query("SELECT count(*) FROM rejects") == [(0,)]
    assert query("SELECT psid, line_no FROM events") == [("u1", 2)]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be"])
def test_a_utf16_log_is_rejected_as_such(
    db_path: Path, query: Query, log_dir: Path, encoding: str
) -> None:
    """PowerShell 5's `>` saves UTF-16: its lines were "invalid UTF-8 at byte 0" and "invalid
    JSON: Expecting value", which sent the team looking for broken deliveries."""
    text = "\r\n".join([VALID, f.line(f.delivery(f.message("yo", psid="u2", mid="m_2")))])
    path = log_dir / "exported.ndjson"
    path.write_bytes((text + "\r\n").encode(encoding))
    pipeline.run([str(path)], db_path)
    reasons = query("SELECT line_no, reason FROM rejects WHERE line_no <= 2 ORDER BY 1")
    assert reasons == [(n, "UTF-16 text, not UTF-8: save the log as UTF-8") for n in (1, 2)]


def test_a_big_endian_utf16_log_with_its_byte_order_mark_is_rejected_as_such(
    db_path: Path, query: Query, log_dir: Path
) -> None:
    """A UTF-16 log written big-endian starts with its mark, FE FF (little-endian: FF FE)."""
    text = "\r\n".join([VALID, f.line(f.delivery(f.message("yo", psid="u2", mid="m_2")))])
    path = log_dir / "exported.ndjson"
    path.write_bytes(b"\xfe\xff" + (text + "\r\n").encode("utf-16-be"))
    pipeline.run([str(path)], db_path)
    reasons = query("SELECT line_no, reason FROM rejects WHERE line_no <= 2 ORDER BY 1")
    assert reasons == [(n, "UTF-16 text, not UTF-8: save the log as UTF-8") for n in (1, 2)]
