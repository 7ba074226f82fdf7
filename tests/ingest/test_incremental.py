"""Incremental reading: only what was appended, a log replaced or rewritten, and a last line cut
short (a log rotated or removed while a run is on it: test_incremental_rotation.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pytest

import tests.factories as f
from ingest import pipeline, sources
from tests.conftest import Query
from tests.factories import T0
from tests.ingest.logs import messages


def _runs(query: Query) -> list[tuple[Any, ...]]:
    return query("SELECT files_read, lines_read, bytes_read FROM ingest_runs ORDER BY run_id")


def test_appended_lines_are_the_only_ones_read(ingest_lines, query: Query, log_dir: Path) -> None:
    ingest_lines([f.delivery(f.message(psid=f"u{i}", ts=T0 + i)) for i in range(3)])
    size_before = (log_dir / "webhooks.ndjson").stat().st_size
    added = [f.delivery(f.message(psid=f"u{i}", ts=T0 + i)) for i in range(3, 5)]
    result = ingest_lines(added, append=True)
    appended = (log_dir / "webhooks.ndjson").stat().st_size - size_before
    assert (result.lines, result.events_parsed, result.events_added) == (2, 2, 2)
    assert _runs(query) == [(1, 3, size_before), (1, 2, appended)]
    assert query("SELECT line_no, run_id FROM events ORDER BY line_no") == [
        (1, 1),
        (2, 1),
        (3, 1),
        (4, 2),
        (5, 2),
    ]


def test_replaced_file_is_read_from_the_start_without_duplicates(
    ingest_lines, query: Query, log_dir: Path
) -> None:
    old = [f.delivery(f.message(psid=f"u{i}", ts=T0 + i)) for i in range(4)]
    ingest_lines([*old[:2], "{broken", *old[2:]])
    # rotated: same name, new content that shrank and starts differently
    result = ingest_lines([f.delivery(f.message(psid="u9", ts=T0 + 9)), old[1]])
    assert (result.lines, result.events_parsed, result.events_added) == (2, 2, 1)
    assert query("SELECT psid FROM events ORDER BY psid") == [
        ("u0",),
        ("u1",),
        ("u2",),
        ("u3",),
        ("u9",),
    ]
    assert query("SELECT count(*) FROM rejects") == [(0,)]  # the broken line is gone from the log


def test_file_replaced_by_a_longer_one_is_read_from_the_start(
    ingest_lines, query: Query, log_dir: Path
) -> None:
    first = [f.delivery(f.message(psid="u1", ts=T0)), f.delivery(f.message(psid="u2", ts=T0 + 1))]
    ingest_lines(first)
    grown = [f.delivery(f.message(psid="u0", ts=T0 - 1)), *first, "[]"]
    result = ingest_lines(grown)
    assert result.lines == 4
    assert query("SELECT psid FROM events ORDER BY psid") == [("u0",), ("u1",), ("u2",)]
    assert query("SELECT line_no, reason FROM rejects") == [(4, "not an object: a JSON array")]


def test_same_size_rewrite_is_read_again(ingest_lines, query: Query, log_dir: Path) -> None:
    ingest_lines([f.delivery(f.message(psid="u1", ts=T0, mid="m_aaaa"))])
    ingest_lines([f.delivery(f.message(psid="u1", ts=T0, mid="m_bbbb"))])
    assert query("SELECT mid FROM events ORDER BY mid") == [("m_aaaa",), ("m_bbbb",)]


def test_a_line_fixed_in_place_is_read_once_its_file_row_is_deleted(
    ingest_lines, query: Query, log_dir: Path, db_path: Path
) -> None:
    """The README's way to read one file again: delete its row from ingest_files."""
    lines: list[Any] = [f.delivery(f.message(psid=f"u{i}", ts=T0 + i)) for i in range(60)]
    bad = f.line(f.delivery(f.message("caf\u00e9", psid="u99", ts=T0 + 99)))
    lines[29] = bad.replace("\u00e9", "\udce9").encode("utf-8", "surrogateescape")  # \xe9 alone
    ingest_lines(lines)
    assert query("SELECT line_no FROM rejects") == [(30,)]
    log = log_dir / "webhooks.ndjson"
    at = log.read_bytes().index(b"caf\xe9")
    assert sources.HEAD_BYTES < at < log.stat().st_size - sources.HEAD_BYTES  # the middle
    log.write_bytes(log.read_bytes().replace(b"caf\xe9", b"cafe"))  # same size
    assert pipeline.run([str(log)], db_path).events_added == 0  # not seen as changed
    con = duckdb.connect(str(db_path))
    try:
        con.execute("DELETE FROM ingest_files WHERE path = ?", [str(log)])
    finally:
        con.close()
    result = pipeline.run([str(log)], db_path, keep_text=True)
    assert (result.lines, result.events_added) == (60, 1)
    assert query("SELECT count(*) FROM rejects") == [(0,)]
    assert query("SELECT text FROM events WHERE psid = 'u99'") == [("cafe",)]
    assert query("SELECT count(*) FROM events") == [(60,)]


def test_ingest_files_names_a_file_by_its_resolved_absolute_path(
    query: Query, tmp_path: Path, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The README's `DELETE FROM ingest_files WHERE path = '...'` needs the path as stored: the
    absolute one with links resolved, whatever spelling the ingest was given."""
    real = tmp_path / "archive"
    real.mkdir()
    f.write_ndjson(real / "webhooks.ndjson", [f.delivery(f.message(psid="u1", ts=T0))])
    (tmp_path / "linked").symlink_to(real)
    monkeypatch.chdir(tmp_path)
    pipeline.run(["linked"], db_path)
    stored = str((real / "webhooks.ndjson").resolve())
    assert query("SELECT path FROM ingest_files") == [(stored,)]
    con = duckdb.connect(str(db_path))
    try:
        con.execute("DELETE FROM ingest_files WHERE path = ?", [stored])
    finally:
        con.close()
    assert pipeline.run(["linked"], db_path).lines == 1  # read again from the start
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    said = " ".join(readme.split("DELETE FROM ingest_files", 1)[1][:200].split())
    assert "the file's absolute path, links resolved" in said


def test_a_file_rewritten_from_a_copy_of_its_start_is_read_from_the_start(
    ingest_lines, query: Query, log_dir: Path
) -> None:
    """Same first 4 KiB, other lines after them, the old end on a line end: not a grown file."""
    common = messages("u", 40, T0)
    ingest_lines([*common, *messages("a", 20, T0 + 100)])
    log = log_dir / "webhooks.ndjson"
    old_size = log.stat().st_size
    assert log.read_bytes().index(b'"u20"') > sources.HEAD_BYTES
    result = ingest_lines([*common, *messages("b", 30, T0 + 200)])
    assert log.read_bytes()[old_size - 1 : old_size] == b"\n"  # where a grown file reads on
    assert (result.lines, result.events_added) == (70, 30)
    assert query("SELECT count(*) FROM events WHERE psid LIKE 'b%'") == [(30,)]
    assert query("SELECT count(*) FROM events") == [(90,)]


def test_a_file_recorded_by_an_earlier_version_still_reads_on_from_its_offset(
    ingest_lines, query: Query, log_dir: Path, db_path: Path
) -> None:
    ingest_lines(messages("u", 40, T0))
    log = log_dir / "webhooks.ndjson"
    con = duckdb.connect(str(db_path))
    try:  # the fingerprint as it was stored before: the md5 of the first 4 KiB alone
        con.execute("UPDATE ingest_files SET head_hash = ?", [sources.prefix_hash(log, 10**9)])
    finally:
        con.close()
    result = ingest_lines(messages("n", 3, T0 + 100), append=True)
    assert (result.lines, result.events_added) == (3, 3)


def test_a_file_recorded_by_an_earlier_version_and_rewritten_from_its_start_is_read_anew(
    ingest_lines, query: Query, log_dir: Path, db_path: Path
) -> None:
    """An earlier version stored the md5 of the first 4 KiB alone: a file rewritten from a copy
    of its start matches it, and its old end falls inside a line now. Read on from there, that
    line's rest would be a reject and the lines before it lost."""
    common = messages("u", 40, T0)
    ingest_lines([*common, *messages("a", 20, T0 + 100)])
    log = log_dir / "webhooks.ndjson"
    old_size = log.stat().st_size
    con = duckdb.connect(str(db_path))
    try:
        con.execute("UPDATE ingest_files SET head_hash = ?", [sources.prefix_hash(log, 10**9)])
    finally:
        con.close()
    result = ingest_lines([*common, *messages("bb", 30, T0 + 200)])
    assert log.read_bytes()[old_size - 1 : old_size] != b"\n"  # the old end is mid-line
    assert (result.lines, result.events_added) == (70, 30)
    assert query("SELECT count(*) FROM events WHERE psid LIKE 'bb%'") == [(30,)]
    assert query("SELECT count(*) FROM rejects") == [(0,)]


def test_unterminated_last_line_is_read_again_once_complete(
    ingest_lines, query: Query, log_dir: Path
) -> None:
    complete = f.line(f.delivery(f.message("second", psid="u2", ts=T0 + 1)))
    path = log_dir / "webhooks.ndjson"
    ingest_lines([f.delivery(f.message("first", psid="u1", ts=T0))])
    with open(path, "a") as fh:  # the writer is halfway through line 2
        fh.write(complete[:40])
    result = pipeline.run([str(path)], query.path)
    reason = "unfinished last line (no newline yet; read again once it has one): invalid JSON: %"
    assert query("SELECT line_no, reason LIKE ?, raw FROM rejects", reason) == [
        (2, True, complete[:40])
    ]
    assert result.rejects_by_reason == {
        "unfinished last line (no newline yet; read again once it has one)": 1
    }
    with open(path, "a") as fh:
        fh.write(complete[40:] + "\n")
    result = pipeline.run([str(path)], query.path, keep_text=True)
    assert (result.lines, result.events_added) == (1, 1)
    assert query("SELECT line_no, text FROM events ORDER BY line_no") == [
        (1, "first"),
        (2, "second"),
    ]
    assert query("SELECT count(*) FROM rejects") == [(0,)]


def test_a_last_line_cut_within_a_character_is_unfinished_until_complete(
    ingest_lines, query: Query, log_dir: Path
) -> None:
    """A writer halfway through a line may stop inside a character of two bytes or more: the
    line is as unfinished as one cut between characters, not a log of bad encoding."""
    complete = f.line(f.delivery(f.message("crème brûlée", psid="u2", ts=T0 + 1))).encode()
    cut = complete.index("è".encode()) + 1
    path = log_dir / "webhooks.ndjson"
    ingest_lines([f.delivery(f.message("first", psid="u1", ts=T0))])
    with open(path, "ab") as fh:
        fh.write(complete[:cut])
    result = pipeline.run([str(path)], query.path)
    unfinished = "unfinished last line (no newline yet; read again once it has one)"
    assert query("SELECT line_no, reason FROM rejects") == [
        (2, f"{unfinished}: invalid UTF-8 at byte {cut - 1}")
    ]
    assert result.rejects_by_reason == {unfinished: 1}
    with open(path, "ab") as fh:
        fh.write(complete[cut:] + b"\n")
    pipeline.run([str(path)], query.path, keep_text=True)
    assert query("SELECT line_no, text FROM events ORDER BY line_no") == [
        (1, "first"),
        (2, "crème brûlée"),
    ]
    assert query("SELECT count(*) FROM rejects") == [(0,)]


def test_a_whole_last_line_of_bad_bytes_is_rejected_for_them_not_as_unfinished(
    ingest_lines, query: Query, log_dir: Path
) -> None:
    """A byte that is no UTF-8 inside a last line stays wrong once the line has its newline."""
    path = log_dir / "webhooks.ndjson"
    path.write_bytes(b'{"object": "page", "entry": "\xff"}')
    pipeline.run([str(path)], query.path)
    assert query("SELECT line_no, reason FROM rejects") == [(1, "invalid UTF-8 at byte 29")]


def test_a_whole_last_line_without_newline_is_rejected_for_what_it_lacks(
    ingest_lines, query: Query, log_dir: Path
) -> None:
    """A last line that is whole JSON was not cut short: its reason is its own, not the
    unfinished line's, which would tell the team to wait for a newline that changes nothing."""
    path = log_dir / "webhooks.ndjson"
    path.write_text(f.line(f.delivery(f.message(psid="u1", ts=T0))) + "\n" + '{"object": "page"}')
    result = pipeline.run([str(path)], query.path)
    assert query("SELECT line_no, reason FROM rejects") == [(2, "no entry list")]
    assert result.rejects_by_reason == {"no entry list": 1}


def test_complete_last_line_without_newline_is_not_counted_twice(
    ingest_lines, query: Query, log_dir: Path
) -> None:
    path = log_dir / "webhooks.ndjson"
    path.write_text(f.line(f.delivery(f.message(psid="u1", ts=T0))))
    first = pipeline.run([str(path)], query.path)
    with open(path, "a") as fh:
        fh.write("\n" + f.line(f.delivery(f.message(psid="u2", ts=T0 + 1))) + "\n")
    second = pipeline.run([str(path)], query.path)
    assert (first.events_added, second.events_added) == (1, 1)
    assert query("SELECT psid, line_no FROM events ORDER BY line_no") == [("u1", 1), ("u2", 2)]
    assert query("SELECT max(lines_done) FROM ingest_files") == [(2,)]


def test_a_rejected_last_line_stays_rejected_when_the_file_grows(
    ingest_lines, query: Query, log_dir: Path
) -> None:
    """Only the lines read again lose their old rejects: a complete last line read before
    is not read again, and its reject stays (one row per line, never none)."""
    ingest_lines([f.delivery(f.message(psid="u1", ts=T0)), "{broken"])
    result = ingest_lines([f.delivery(f.message(psid="u2", ts=T0 + 1))], append=True)
    assert (result.lines, result.events_added, result.rejects_added) == (1, 1, 0)
    assert query("SELECT line_no, raw FROM rejects") == [(2, "{broken")]
