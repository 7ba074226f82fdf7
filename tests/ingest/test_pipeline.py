"""The pipeline's guarantees: incremental, every input read, nothing lost.

Idempotence and dedupe: test_dedupe.py. Batches, resuming and crash safety: test_batches.py.
"""

from __future__ import annotations

import gzip
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import pytest

import tests.factories as f
from ingest import pipeline, sources
from ingest.errors import SourceError
from ingest.receiver import envelope_line
from tests.conftest import Query, accounted_lines, nonblank_line_numbers
from tests.factories import PAGE_ID, T0

# --- incremental reading ------------------------------------------------------------------------


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


def _messages(prefix: str, n: int, ts: int) -> list[Any]:
    return [
        f.delivery(f.message(psid=f"{prefix}{i:02}", ts=ts + i, mid=f"m_{prefix}{i:02}"))
        for i in range(n)
    ]


def test_a_file_rewritten_from_a_copy_of_its_start_is_read_from_the_start(
    ingest_lines, query: Query, log_dir: Path
) -> None:
    """Same first 4 KiB, other lines after them, the old end on a line end: not a grown file."""
    common = _messages("u", 40, T0)
    ingest_lines([*common, *_messages("a", 20, T0 + 100)])
    log = log_dir / "webhooks.ndjson"
    old_size = log.stat().st_size
    assert log.read_bytes().index(b'"u20"') > sources.HEAD_BYTES
    result = ingest_lines([*common, *_messages("b", 30, T0 + 200)])
    assert log.read_bytes()[old_size - 1 : old_size] == b"\n"  # where a grown file reads on
    assert (result.lines, result.events_added) == (70, 30)
    assert query("SELECT count(*) FROM events WHERE psid LIKE 'b%'") == [(30,)]
    assert query("SELECT count(*) FROM events") == [(90,)]


def test_a_file_recorded_by_an_earlier_version_still_reads_on_from_its_offset(
    ingest_lines, query: Query, log_dir: Path, db_path: Path
) -> None:
    ingest_lines(_messages("u", 40, T0))
    log = log_dir / "webhooks.ndjson"
    con = duckdb.connect(str(db_path))
    try:  # the fingerprint as it was stored before: the md5 of the first 4 KiB alone
        con.execute("UPDATE ingest_files SET head_hash = ?", [sources.prefix_hash(log, 10**9)])
    finally:
        con.close()
    result = ingest_lines(_messages("n", 3, T0 + 100), append=True)
    assert (result.lines, result.events_added) == (3, 3)


def test_a_file_recorded_by_an_earlier_version_and_rewritten_from_its_start_is_read_anew(
    ingest_lines, query: Query, log_dir: Path, db_path: Path
) -> None:
    """An earlier version stored the md5 of the first 4 KiB alone: a file rewritten from a copy
    of its start matches it, and its old end falls inside a line now. Read on from there, that
    line's rest would be a reject and the lines before it lost."""
    common = _messages("u", 40, T0)
    ingest_lines([*common, *_messages("a", 20, T0 + 100)])
    log = log_dir / "webhooks.ndjson"
    old_size = log.stat().st_size
    con = duckdb.connect(str(db_path))
    try:
        con.execute("UPDATE ingest_files SET head_hash = ?", [sources.prefix_hash(log, 10**9)])
    finally:
        con.close()
    result = ingest_lines([*common, *_messages("bb", 30, T0 + 200)])
    assert log.read_bytes()[old_size - 1 : old_size] != b"\n"  # the old end is mid-line
    assert (result.lines, result.events_added) == (70, 30)
    assert query("SELECT count(*) FROM events WHERE psid LIKE 'bb%'") == [(30,)]
    assert query("SELECT count(*) FROM rejects") == [(0,)]


def _rotated_after_planning(log: Path) -> Callable[[int], None]:
    """A run's on_plan that does what logrotate does between the plan and the read: the log
    renamed to webhooks-1.ndjson, a new one of 12 lines (psids n0..n11) under its name."""

    def rotate(total: int) -> None:
        log.rename(log.with_name("webhooks-1.ndjson"))
        f.write_ndjson(
            log, [f.delivery(f.message(psid=f"n{i}", ts=T0 + 10 + i)) for i in range(12)]
        )

    return rotate


def test_a_log_rotated_between_planning_and_reading_loses_none_of_the_new_one(
    db_path: Path, query: Query, log_dir: Path
) -> None:
    """Logrotate renames the log and starts a new one while a run is on its other files: the
    new file was read from the old one's offset, and its first lines were never read."""
    log = log_dir / "webhooks.ndjson"
    old = [f.delivery(f.message(psid=f"o{i}", ts=T0 + i)) for i in range(3)]
    f.write_ndjson(log, old)
    pipeline.run([str(log)], db_path)
    f.write_ndjson(log, [f.delivery(f.message(psid="o3", ts=T0 + 3))], mode="a")  # it grew
    result = pipeline.run([str(log)], db_path, on_plan=_rotated_after_planning(log))
    assert result.warnings == [f"{log}: replaced (rotated?) since this run listed it: read by "
                               "the next run"]  # fmt: skip
    pipeline.run([str(log_dir)], db_path)
    psids = {r[0] for r in query("SELECT psid FROM events")}
    assert psids == {f"o{i}" for i in range(4)} | {f"n{i}" for i in range(12)}
    assert query("SELECT count(*) FROM rejects") == [(0,)]


def test_a_log_first_seen_and_rotated_between_planning_and_reading_is_left_to_the_next_run(
    db_path: Path, query: Query, log_dir: Path
) -> None:
    """A log planned from its start (never read, or replaced) is checked for a rotation too: the
    new file under its name is not the one planned, whose size and time it would be stored
    under, and is read by the next run."""
    log = log_dir / "webhooks.ndjson"
    f.write_ndjson(log, [f.delivery(f.message(psid=f"o{i}", ts=T0 + i)) for i in range(3)])
    result = pipeline.run([str(log)], db_path, on_plan=_rotated_after_planning(log))
    assert result.warnings == [f"{log}: replaced (rotated?) since this run listed it: read by "
                               "the next run"]  # fmt: skip
    assert query("SELECT count(*) FROM events") == [(0,)]
    assert query("SELECT count(*) FROM ingest_files") == [(0,)]
    pipeline.run([str(log_dir)], db_path)
    psids = {r[0] for r in query("SELECT psid FROM events")}
    assert psids == {f"o{i}" for i in range(3)} | {f"n{i}" for i in range(12)}
    assert query("SELECT count(*) FROM rejects") == [(0,)]


def test_a_log_removed_between_planning_and_reading_leaves_the_others_read(
    db_path: Path, query: Query, log_dir: Path
) -> None:
    """A log removed (a retention job) or rotated away before its new file exists, while a run
    is on its other files, stopped the run with a bare "No such file or directory"; it is
    left out with a warning, as a log replaced meanwhile is, and the others are read."""
    gone = f.write_ndjson(log_dir / "webhooks-1.ndjson", [f.delivery(f.message(psid="g"))])
    three = [f.delivery(f.message(psid=f"k{i}", ts=T0 + i)) for i in range(3)]
    kept = f.write_ndjson(log_dir / "webhooks-2.ndjson", three)

    result = pipeline.run([str(log_dir)], db_path, on_plan=lambda total: gone.unlink())
    assert result.warnings == [f"{gone}: removed (rotated?) since this run listed it: not read"]
    assert query("SELECT DISTINCT file FROM events") == [(str(kept),)]
    assert query("SELECT count(*) FROM events") == [(3,)]
    assert query("SELECT path FROM ingest_files") == [(str(kept),)]
    assert query("SELECT finished_at IS NOT NULL FROM ingest_runs") == [(True,)]


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


# --- inputs: .gz, directories, globs ------------------------------------------------------------


def _gz(path: Path, lines: list[Any], mode: str = "wb") -> Path:
    with gzip.open(path, mode) as fh:
        fh.write(b"".join(f.line(x).encode() + b"\n" for x in lines))
    return path


def test_gz_log_is_read_and_appended_members_only_once(db_path: Path, query: Query,
                                                       log_dir: Path) -> None:  # fmt: skip
    path = _gz(log_dir / "webhooks.ndjson.gz", [f.delivery(f.message(psid="u1", ts=T0))])
    pipeline.run([str(path)], db_path)
    _gz(path, [f.delivery(f.message(psid="u2", ts=T0 + 1))], mode="ab")  # a new gzip member
    result = pipeline.run([str(path)], db_path)
    assert (result.lines, result.events_added) == (1, 1)
    assert query("SELECT psid, line_no FROM events ORDER BY line_no") == [("u1", 1), ("u2", 2)]


def test_a_gz_only_touched_is_not_read_again(db_path: Path, query: Query, log_dir: Path) -> None:
    """Same bytes, new modification time (a backup restored it, `touch`): nothing new to read,
    as for a plain file; its rejected line is not counted again."""
    path = _gz(log_dir / "webhooks.ndjson.gz", [f.delivery(f.message(psid="u1", ts=T0)), [1]])
    pipeline.run([str(path)], db_path)
    os.utime(path, ns=(1_700_000_060_000_000_000, 1_700_000_060_000_000_000))
    result = pipeline.run([str(path)], db_path)
    assert (result.lines, result.events_parsed, result.rejects_added) == (0, 0, 0)
    assert query("SELECT count(*) FROM rejects") == [(1,)]


def test_gz_replaced_by_one_of_the_same_size_is_read_again(
    db_path: Path, query: Query, log_dir: Path
) -> None:
    """Same size, new modification time: another .gz, read from its start (not skipped)."""
    path = log_dir / "webhooks.ndjson.gz"

    def write(mid: str, mtime_ns: int) -> int:
        line = f.line(f.delivery(f.message(psid="u1", ts=T0, mid=mid))).encode() + b"\n"
        path.write_bytes(gzip.compress(line, mtime=0))
        os.utime(path, ns=(mtime_ns, mtime_ns))
        return path.stat().st_size

    size = write("m_aaaa", 1_700_000_000_000_000_000)
    pipeline.run([str(path)], db_path)
    assert write("m_bbbb", 1_700_000_060_000_000_000) == size
    result = pipeline.run([str(path)], db_path)
    assert (result.files_read, result.lines, result.events_added) == (1, 1, 1)
    assert query("SELECT mid FROM events ORDER BY mid") == [("m_aaaa",), ("m_bbbb",)]


def test_a_gz_rewritten_from_a_copy_of_its_start_is_read_from_the_start(
    db_path: Path, query: Query, log_dir: Path
) -> None:
    """A .gz compressed anew (header time 0, as Go, Java and Node write it) from the same first
    lines and others after: its first 4 KiB are the old file's, it is no larger, yet it is no
    grown file. Read on from the old offset, the lines after the common ones were missed."""
    import random

    rnd = random.Random(5)
    words = ["".join(rnd.choices("abcdefghijklmnopqrstuvwxyz", k=200)) for _ in range(120)]
    common = [f.delivery(f.message(w, psid=f"u{i:03}", ts=T0 + i)) for i, w in enumerate(words)]
    path = log_dir / "webhooks.ndjson.gz"

    def write(lines: list[Any]) -> bytes:
        data = gzip.compress(b"".join(f.line(x).encode() + b"\n" for x in lines), mtime=0)
        path.write_bytes(data)
        return data

    old = write([*common, *_messages("a", 20, T0 + 1000)])
    pipeline.run([str(path)], db_path)
    new = write([*common, *_messages("b", 30, T0 + 2000)])
    assert new[: sources.HEAD_BYTES] == old[: sources.HEAD_BYTES] and len(new) >= len(old)
    result = pipeline.run([str(path)], db_path)
    assert (result.lines, result.events_added) == (150, 30)
    assert query("SELECT count(*) FROM events WHERE psid LIKE 'b%'") == [(30,)]
    assert query("SELECT count(*) FROM rejects") == [(0,)]


def test_a_gz_recorded_by_an_earlier_version_still_reads_its_appended_members_only(
    db_path: Path, query: Query, log_dir: Path
) -> None:
    path = _gz(log_dir / "webhooks.ndjson.gz", [f.delivery(f.message(psid="u1", ts=T0))])
    pipeline.run([str(path)], db_path)
    con = duckdb.connect(str(db_path))
    try:  # the fingerprint as it was stored before: the md5 of the first 4 KiB alone
        con.execute("UPDATE ingest_files SET head_hash = ?", [sources.prefix_hash(path, 10**9)])
    finally:
        con.close()
    _gz(path, [f.delivery(f.message(psid="u2", ts=T0 + 1))], mode="ab")
    result = pipeline.run([str(path)], db_path)
    assert (result.lines, result.events_added) == (1, 1)
    assert query("SELECT psid, line_no FROM events ORDER BY line_no") == [("u1", 1), ("u2", 2)]


def test_directories_are_read_recursively_and_globs_expand(
    db_path: Path, query: Query, tmp_path: Path
) -> None:
    root = tmp_path / "incoming"
    f.write_ndjson(root / "a.ndjson", [f.delivery(f.message(psid="u1", ts=T0))])
    (root / "2023" / "11").mkdir(parents=True)
    _gz(root / "2023" / "11" / "b.jsonl.gz", [f.delivery(f.message(psid="u2", ts=T0))])
    f.write_ndjson(root / "2023" / "c.json", [f.delivery(f.message(psid="u3", ts=T0))])
    (root / "2023" / "notes.txt").write_text("not a log\n")
    result = pipeline.run([str(root)], db_path)
    assert (result.files, result.rejects_added) == (3, 0)
    assert query("SELECT psid FROM events ORDER BY psid") == [("u1",), ("u2",), ("u3",)]

    other = tmp_path / "other.duckdb"
    result = pipeline.run([str(tmp_path / "incoming" / "**" / "*.ndjson"),
                           str(root / "2023" / "*.json")], other)  # fmt: skip
    assert result.files == 2
    assert Query(other)("SELECT psid FROM events ORDER BY psid") == [("u1",), ("u3",)]


def test_a_linked_folder_below_a_directory_is_read_as_a_glob_reads_it(
    db_path: Path, query: Query, tmp_path: Path
) -> None:
    """An archive on another disk linked into the log folder was left out without a word (a
    glob over the folder read it); a link back up the tree is not walked round and round."""
    logs, archive = tmp_path / "logs", tmp_path / "disk2" / "archive"
    f.write_ndjson(logs / "today.ndjson", [f.delivery(f.message(psid="u1", ts=T0))])
    f.write_ndjson(archive / "old.ndjson", [f.delivery(f.message(psid="u2", ts=T0))])
    os.symlink(archive, logs / "archive")
    os.symlink(logs, archive / "back")
    result = pipeline.run([str(logs)], db_path)
    assert (result.files, result.rejects_added) == (2, 0)
    assert query("SELECT psid FROM events ORDER BY psid") == [("u1",), ("u2",)]


def test_a_glob_matching_folders_reads_their_logs_as_the_shell_would(
    db_path: Path, query: Query, tmp_path: Path
) -> None:
    """`refscope ingest --follow '/srv/refscope/*'` (quoted, so each round finds new folders)
    matched one folder per day and read none of them: only files matched were read."""
    root = tmp_path / "srv"
    f.write_ndjson(root / "2023-11-14" / "webhooks.ndjson", [f.delivery(f.message(psid="u1"))])
    f.write_ndjson(root / "2023-11-15" / "webhooks.ndjson", [f.delivery(f.message(psid="u2"))])
    f.write_ndjson(root / "loose.ndjson", [f.delivery(f.message(psid="u3"))])
    result = pipeline.run([str(root / "*")], db_path)
    assert (result.files, result.rejects_added) == (3, 0)
    assert query("SELECT psid FROM events ORDER BY psid") == [("u1",), ("u2",), ("u3",)]
    with pytest.raises(SourceError, match="no files match"):
        pipeline.run([str(tmp_path / "srv" / "2023-11-1[4]" / "*.jsonl")], db_path)


def test_a_file_named_twice_in_one_run_is_read_once(db_path: Path, query: Query,
                                                     log_dir: Path) -> None:  # fmt: skip
    path = f.write_ndjson(log_dir / "webhooks.ndjson", [f.delivery(f.message()), "{oops"])
    os.symlink(path, log_dir / "latest.ndjson")
    spellings = [str(path), str(log_dir / ".." / "logs" / "webhooks.ndjson"), str(log_dir)]
    result = pipeline.run(spellings, db_path)
    assert (result.files, result.lines, result.rejects_added) == (1, 2, 1)
    assert query("SELECT line_no FROM rejects") == [(2,)]
    assert query("SELECT files_read, lines_read FROM ingest_runs") == [(1, 2)]


def test_the_database_named_beside_the_logs_is_left_out(runner, tmp_path: Path) -> None:
    """`refscope ingest data/*` in the default layout names data/refscope.duckdb too: it was read
    as a log, its bytes stored as rejects, again on every run (each run changes it)."""
    from dashboard.cli import cli

    data = tmp_path / "data"
    f.write_ndjson(data / "logs" / "webhooks.ndjson", [f.delivery(f.message(psid="u1", ts=T0))])
    db_file = data / "refscope.duckdb"
    pipeline.run([str(data / "logs")], db_file)
    for _ in range(2):
        result = runner.invoke(cli, ["ingest", *map(str, sorted(data.iterdir())),
                                     "--db", str(db_file)])  # fmt: skip
        assert result.exit_code == 0, result.output
        assert f"warning: {db_file}: the database itself, not a log: left out" in result.output
        assert "nothing new to read in 1 file (" in result.output
    q = Query(db_file)
    assert q("SELECT count(*) FROM rejects") == [(0,)]
    assert q("SELECT count(*) FROM ingest_files WHERE path = ?", str(db_file)) == [(0,)]


def test_rejects_of_several_files_in_one_run_name_their_own_file(
    db_path: Path, query: Query, log_dir: Path
) -> None:
    for i, name in enumerate(("a.ndjson", "b.ndjson", "c.ndjson")):
        lines = [f.delivery(f.message(psid=f"{name}{n}", ts=T0 + n)) for n in range(3)]
        lines.insert(i, f"bad line of {name}")
        f.write_ndjson(log_dir / name, lines)
    pipeline.run([str(log_dir)], db_path)
    assert query("SELECT file, line_no, raw FROM rejects ORDER BY file") == [
        (str((log_dir / n).resolve()), i + 1, f"bad line of {n}")
        for i, n in enumerate(("a.ndjson", "b.ndjson", "c.ndjson"))
    ]
    assert query("SELECT count(*), count(DISTINCT file || line_no) FROM events") == [(9, 9)]
    assert query(
        "SELECT DISTINCT psid, line_no FROM events WHERE file LIKE '%b.ndjson' ORDER BY 2"
    ) == [
        ("b.ndjson0", 1),
        ("b.ndjson1", 3),
        ("b.ndjson2", 4),
    ]


# --- nothing lost -------------------------------------------------------------------------------

NO_SENDER = f.delivery(f.message(psid="u1"))
del NO_SENDER["entry"][0]["messaging"][0]["sender"]
NO_COMMENT_ID = f.comment()
del NO_COMMENT_ID["value"]["comment_id"]
BAD_LINES: list[tuple[Any, str]] = [
    ('{"object": "page", "entry": [', r"invalid JSON: \S.*"),
    ('{"object":"page","entry":[{"id":"1","time":NaN}]}', r"invalid JSON: NaN is not JSON"),
    ("[1, 2, 3]", r"not an object: a JSON array"),
    ('"just a string"', r"not an object: a JSON string"),
    ("42", r"not an object: a JSON number"),
    ("null", r"not an object: a JSON null"),
    ('{"object": "page"}', r"no entry list"),
    ('{"field": "messages"}', r"sample without value"),
    ('{"received_at": 1700000000000, "body": {"field": "messages", "value": null}}',
     r"sample without value"),
    ('{"object": "page", "entry": {"id": "1"}}', r"entry is not a list but a JSON object"),
    ('{"object": "page", "entry": []}', r"empty entry list"),
    ('{"object": "page", "entry": [7]}', r"entry\[0\] is not an object"),
    (b'{"object": "page", "entry": [\xff\xfe]}', r"invalid UTF-8 at byte 29"),
    (f.delivery(f.message(), obj="instagram"), r"unsupported object 'instagram'.*"),
    (NO_SENDER, r"entry\[0\]\.messaging\[0\]: no sender id"),
    (f.feed(NO_COMMENT_ID), r"entry\[0\]\.changes\[0\]: comment without comment_id"),
    (f.delivery(f.message(ts="TIMESTAMP"), time="TIMESTAMP"),
     r"entry\[0\]\.messaging\[0\]: no valid timestamp"),
    (f.delivery(f.message(psid="u7", ts=T0), f.message(ts="soon"), time="TIMESTAMP"),
     r"partly rejected: entry\[0\]\.messaging\[1\]: no valid timestamp"),
    # Every malformed item is named, in its order, up to five; the rest are counted.
    (f.delivery(f.message(psid="u8", ts=T0), f.message(ts="soon"), NO_SENDER["entry"][0]
                ["messaging"][0], time="TIMESTAMP"),
     r"partly rejected: entry\[0\]\.messaging\[1\]: no valid timestamp; "
     r"entry\[0\]\.messaging\[2\]: no sender id"),
    (f.delivery(*(f.message(ts="soon") for _ in range(7)), time="TIMESTAMP"),
     "; ".join(rf"entry\[0\]\.messaging\[{i}\]: no valid timestamp" for i in range(5))
     + "; 2 more malformed items"),
    (f.delivery(*(f.message(ts="soon") for _ in range(6)), time="TIMESTAMP"),
     "; ".join(rf"entry\[0\]\.messaging\[{i}\]: no valid timestamp" for i in range(5))
     + "; 1 more malformed item"),
    (f.delivery(*(f.message(ts="soon") for _ in range(5)), time="TIMESTAMP"),
     "; ".join(rf"entry\[0\]\.messaging\[{i}\]: no valid timestamp" for i in range(5))),
    ({"object": "page", "entry": [{"id": PAGE_ID, "time": T0}]},
     r"no messaging, standby or changes items"),
    # In the order of the line: entry by entry, each entry's items in theirs.
    (f.batch(f.entry(f.message(psid="u9", ts=T0), f.message(ts="soon"), time="TIMESTAMP"),
             NO_SENDER["entry"][0]),
     r"partly rejected: entry\[0\]\.messaging\[1\]: no valid timestamp; "
     r"entry\[1\]\.messaging\[0\]: no sender id"),
]  # fmt: skip


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


def test_every_line_becomes_events_or_one_reject_with_a_reason(
    ingest_lines, query: Query, log_dir: Path
) -> None:
    good = f.delivery(f.message(psid="u1", ts=T0))
    lines: list[Any] = [good, "", "   \t"]
    for bad, _ in BAD_LINES:
        lines += [bad, f.delivery(f.message(psid="u1", ts=T0 + len(lines)))]
    lines.append(f.line(f.delivery(f.message(psid="u2", ts=T0))) + "\r")  # CRLF line ending
    ingest_lines(lines)
    path = log_dir / "webhooks.ndjson"
    with_events, rejected = accounted_lines(query, path)
    assert sorted(rejected) == sorted(set(rejected)), "a line has two reject rows"
    assert with_events | set(rejected) == nonblank_line_numbers(path.read_bytes())
    rejects = {r["line_no"]: r for r in query.dicts("SELECT * FROM rejects")}
    for i, (bad, pattern) in enumerate(BAD_LINES):
        line_no = 4 + 2 * i
        row = rejects[line_no]
        assert re.fullmatch(pattern, row["reason"]), (line_no, row["reason"])
        raw = bad if isinstance(bad, str | bytes) else f.line(bad)
        expected_raw = raw.decode("utf-8", "backslashreplace") if isinstance(raw, bytes) else raw
        assert (row["raw"], row["file"]) == (expected_raw, str(path.resolve()))
    assert set(rejects) == {4 + 2 * i for i in range(len(BAD_LINES))}
    partly = next(i for i, (_, p) in enumerate(BAD_LINES) if p.startswith("partly"))
    assert query("SELECT psid FROM events WHERE line_no = ?", 4 + 2 * partly) == [("u7",)]


def test_a_broken_entry_beside_good_ones_is_rejected_not_dropped(
    ingest_lines, query: Query
) -> None:
    def ok(psid: str) -> Any:
        return f.entry(f.message(psid=psid, ts=T0))

    no_sender = f.message(psid="u9", ts=T0)
    del no_sender["sender"]
    lines = [
        f.batch(ok("u1"), "junk"),
        f.batch(ok("u2"), {"id": PAGE_ID, "time": T0, "messaging": "x"}),
        f.envelope(f.batch(ok("u3"), [f.message(psid="u8")])),
        # Nothing of these is lost: an empty entry, and entries read as standby and changes.
        f.batch(ok("u4"), {"id": PAGE_ID, "time": T0}),
        f.batch(ok("u5"), f.entry(f.message(psid="u6", ts=T0 + 1), container="standby")),
        f.batch(ok("u7"), f.feed(f.comment())["entry"][0]),
        # An item's own problem is named, not the entry it left without messaging items.
        f.delivery(no_sender, container="standby"),
    ]
    result = ingest_lines(lines)
    assert query("SELECT line_no, reason FROM rejects ORDER BY line_no") == [
        (1, "partly rejected: entry[1] is not an object"),
        (2, "partly rejected: entry[1].messaging is not a list"),
        (3, "partly rejected: entry[1] is not an object"),
        (7, "entry[0].standby[0]: no sender id"),
    ]
    assert query("SELECT DISTINCT line_no FROM events ORDER BY 1") == [(i,) for i in range(1, 7)]
    assert result.events_parsed == result.events_added == 8


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


def test_summary_groups_item_reasons_without_their_positions(ingest_lines) -> None:
    late = f.message(psid="late", ts="soon")
    result = ingest_lines(
        [
            f.delivery(f.message(psid="u1", ts=T0), late, time="TIMESTAMP"),
            f.delivery(f.message(psid="u2", ts=T0), f.message(psid="u3", ts=T0 + 1), late,
                       time="TIMESTAMP"),
            f.delivery(f.message(psid="u4", ts=T0 + 2), late, late, time="TIMESTAMP"),
            f.delivery(late, time="TIMESTAMP"),
        ]
    )  # fmt: skip
    assert result.rejects_added == 4
    assert result.rejects_by_reason == {
        "partly rejected: no valid timestamp": 3,
        "no valid timestamp": 1,
    }


def test_summary_counts_rejects_by_reason(ingest_lines) -> None:
    others = [{"object": o, "entry": [f.entry(f.message())]} for o in ("user", "instagram")]
    result = ingest_lines(["{oops", "{also bad", "[]", f.delivery(f.message()), *others])
    assert result.rejects_by_reason == {
        "invalid JSON": 2, "not an object": 1, "unsupported object": 2}  # fmt: skip
    assert (result.lines, result.rejects_added, result.events_added) == (6, 5, 1)


def test_summary_groups_a_samples_rejects_by_their_problem(ingest_lines) -> None:
    # A wrapped sample's reason is "value: <problem>": the summary names the problem, as it
    # does for an item's ("entry[0].messaging[1]: <problem>"), not the word "value".
    no_mid = f.message()
    del no_mid["message"]["mid"]
    no_sender = f.message()
    del no_sender["sender"]
    result = ingest_lines(
        [
            {"field": "messages", "value": no_mid},
            f.envelope({"field": "messages", "value": no_sender}),
            {"field": "feed", "value": {"item": "comment", "verb": "add", "post_id": "x_1"}},
            f.delivery(no_mid),
        ]
    )
    assert result.rejects_by_reason == {
        "message without mid": 2, "no sender id": 1, "no page id": 1}  # fmt: skip


def test_an_ingest_does_not_import_pandas(db_path: Path, log_dir: Path) -> None:
    # pandas costs a fifth of a second to import: a small incremental run must not pay it.
    path = f.write_ndjson(log_dir / "a.ndjson", ["{oops", f.delivery(f.message())])
    code = (
        "import sys; from pathlib import Path; from ingest import pipeline; "
        f"r = pipeline.run([{str(path)!r}], Path({str(db_path)!r})); "
        "print(r.events_added, r.rejects_added, 'pandas' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["1", "1", "False"]


# --- unreadable inputs --------------------------------------------------------------------------


def test_missing_path_is_a_source_error(db_path: Path, tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "webhooks.ndjson"
    with pytest.raises(SourceError, match=re.escape(str(missing))):
        pipeline.run([str(missing)], db_path)


def test_glob_matching_nothing_is_a_source_error(db_path: Path, tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="no files match"):
        pipeline.run([str(tmp_path / "*.ndjson")], db_path)


def test_path_that_is_not_a_file_is_a_source_error(db_path: Path, tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.ndjson"
    os.mkfifo(fifo)
    with pytest.raises(SourceError, match="not a regular file"):
        pipeline.run([str(fifo)], db_path)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every file")
def test_unreadable_file_is_a_source_error(db_path: Path, tmp_path: Path) -> None:
    path = f.write_ndjson(tmp_path / "secret.ndjson", [f.delivery(f.message())])
    path.chmod(0)
    with pytest.raises(SourceError, match="permission denied"):
        pipeline.run([str(path)], db_path)


def test_a_logged_body_that_is_not_json_is_rejected_with_what_is_wrong_with_it(
    ingest_lines, query: Query
) -> None:
    """The receiver keeps a signed body that is not JSON as a string in its envelope."""
    bodies = [b'{"object": "page", "entry": [', b'{"object": "page", "x": "\xff\xfe"}',
              b'{"object": "page", "entry": [], "t": NaN}', b"[1, 2]"]  # fmt: skip
    ingest_lines([envelope_line(b, T0) for b in bodies])
    reasons = [r for (r,) in query("SELECT reason FROM rejects ORDER BY line_no")]
    what = "envelope body is not an object but a string"
    assert reasons[0].startswith(f"{what}: invalid JSON: ")
    assert reasons[1:] == [
        f"{what}: not UTF-8 (kept with \\x escapes)",
        f"{what}: invalid JSON: NaN is not JSON",
        "envelope body is not an object but a JSON array",
    ]


class _CountingConnection:
    """A connection that counts the statements run through it."""

    def __init__(self, con: duckdb.DuckDBPyConnection, counts: list[str]) -> None:
        self._con, self._counts = con, counts

    def execute(self, sql: str, *args: Any) -> _CountingConnection:
        self._counts.append(sql)
        self._con.execute(sql, *args)
        return self

    def __getattr__(self, name: str) -> Any:
        return getattr(self._con, name)


def test_a_run_over_many_files_runs_no_statement_per_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A day per file over years: the files' offsets and the rejects of lines read again are
    written in one statement per batch, not one per file (each cost a scan of its table)."""
    statements: list[str] = []
    connect = pipeline.db.connect

    def counting(*args: Any, **kwargs: Any) -> _CountingConnection:
        return _CountingConnection(connect(*args, **kwargs), statements)

    monkeypatch.setattr(pipeline.db, "connect", counting)

    def run(n_files: int) -> int:
        logs = tmp_path / f"logs{n_files}"
        logs.mkdir()
        for day in range(n_files):
            f.write_ndjson(logs / f"webhooks-{day:03d}.ndjson",
                           [f.delivery(f.message(psid=f"u{day}", mid=f"m{n_files}_{day}")),
                            "not json"])  # fmt: skip
        statements.clear()
        pipeline.run([str(logs)], tmp_path / f"{n_files}.duckdb")
        return len(statements)

    assert run(2) == run(40)
    monkeypatch.undo()
    query = Query(tmp_path / "40.duckdb")
    assert query("SELECT count(*), sum(lines_done) FROM ingest_files") == [(40, 80)]
    assert query("SELECT count(*), count(DISTINCT file) FROM rejects") == [(40, 40)]
    assert query("SELECT count(*) FROM events") == [(40,)]
