"""A log cut and written again in place (logrotate's copytruncate): same file, new content, which
may have grown past the old offset by the time a run looks at it again."""

from __future__ import annotations

import gzip
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import tests.factories as f
from ingest import file_marks, offsets, pipeline
from tests.conftest import Query
from tests.factories import T0

OLD = [f.delivery(f.message(psid=f"o{i}", ts=T0 + i)) for i in range(3)]
NEW = [f.delivery(f.message(psid=f"n{i}", ts=T0 + i)) for i in range(6)]  # lines as long


def _copytruncate(log: Path, lines: list[Any]) -> None:
    """What copytruncate leaves once the writer goes on: the same inode, cut to nothing, then
    written again past the old end."""
    size = log.stat().st_size
    with open(log, "r+b") as fh:
        fh.truncate(0)
    f.write_ndjson(log, lines, mode="a")
    assert log.read_bytes()[size - 1 : size] == b"\n"  # a line ends where the old file ended


def _once_before_the_commit(monkeypatch: pytest.MonkeyPatch, change: Callable[[], None]) -> None:
    """Run `change` once, as the first batch records its offset, before that batch commits."""
    record = offsets.record

    def changed_then_recorded(*args: Any) -> int:
        monkeypatch.setattr(offsets, "record", record)
        change()
        return record(*args)

    monkeypatch.setattr(offsets, "record", changed_then_recorded)


def _psids(query: Query) -> set[str]:
    return {r[0] for r in query("SELECT psid FROM events")}


def test_a_log_cut_and_written_again_between_runs_is_read_from_its_start(
    db_path: Path, query: Query, log_dir: Path
) -> None:
    log = f.write_ndjson(log_dir / "webhooks.ndjson", OLD)
    pipeline.run([str(log)], db_path)
    _copytruncate(log, NEW)
    result = pipeline.run([str(log)], db_path)
    assert (result.lines, result.events_added) == (6, 6)
    assert _psids(query) == {f"o{i}" for i in range(3)} | {f"n{i}" for i in range(6)}


def test_a_log_cut_and_written_again_before_its_batch_commits_loses_none_of_the_new_lines(
    db_path: Path, query: Query, log_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The offset read in the old content was stored with the fingerprint the file had when the
    batch committed, the new content's: the next run took the file for grown and skipped as
    many of its bytes (n0..n2, lost)."""
    log = f.write_ndjson(log_dir / "webhooks.ndjson", OLD)
    _once_before_the_commit(monkeypatch, lambda: _copytruncate(log, NEW))
    first = pipeline.run([str(log)], db_path)
    assert first.events_added == 3
    monkeypatch.undo()
    second = pipeline.run([str(log)], db_path)
    assert (second.lines, second.events_added) == (6, 6)
    assert _psids(query) == {f"o{i}" for i in range(3)} | {f"n{i}" for i in range(6)}
    assert query("SELECT count(*) FROM rejects") == [(0,)]


def test_a_log_cut_and_written_again_after_it_was_planned_is_left_to_the_next_run(
    db_path: Path, query: Query, log_dir: Path
) -> None:
    """Planned to read on from its offset, the log is cut and written again while the run reads
    its other files: it was read from that offset in the new content, its first lines lost."""
    log = f.write_ndjson(log_dir / "webhooks.ndjson", OLD)
    pipeline.run([str(log)], db_path)
    f.write_ndjson(log, [f.delivery(f.message(psid="o3", ts=T0 + 3))], mode="a")  # it grew
    result = pipeline.run([str(log)], db_path, on_plan=lambda total: _copytruncate(log, NEW))
    assert result.warnings == [
        f"{log}: rewritten (truncated?) since this run listed it: read by the next run"
    ]
    assert result.lines == 0
    pipeline.run([str(log)], db_path)
    # o3 went with the cut (into logrotate's copy): all that is on disk is read.
    assert _psids(query) == {f"o{i}" for i in range(3)} | {f"n{i}" for i in range(6)}
    assert query("SELECT count(*) FROM rejects") == [(0,)]


@pytest.mark.parametrize("start", [0, 10, 4096, 5000, 9000])
def test_the_marks_of_the_bytes_read_are_the_files_fingerprint(tmp_path: Path, start: int) -> None:
    data = bytes(range(256)) * 50  # 12,800 bytes: a window moved by a byte holds others
    path = tmp_path / "log.ndjson"
    path.write_bytes(data)
    with open(path, "rb") as fh:
        marks = file_marks.Marks(fh.fileno(), start)
    assert marks.holds(file_marks.fingerprint(path, start))
    assert marks.holds(file_marks.prefix_hash(path, start))  # as an earlier version stored it
    at = start
    for size in (1, 3000, 4096, 100, 5000):
        if at + size > len(data):
            break
        got = marks.add(memoryview(data)[at : at + size])
        at += size
        assert got == file_marks.fingerprint(path, at)


def _gz(lines: list[Any]) -> bytes:
    return gzip.compress("".join(f.line(x) + "\n" for x in lines).encode())


def _rewrite_gz(log: Path, lines: list[Any]) -> None:
    """A .gz written again in place (`gzip -c log > log.gz`: the same inode, truncated), longer
    than the one read."""
    size = log.stat().st_size
    with open(log, "r+b") as fh:
        fh.truncate(0)
        fh.write(_gz(lines))
    assert log.stat().st_size > size


MORE = [f.delivery(f.message(psid=f"n{i}", ts=T0 + i)) for i in range(60)]


def test_a_gz_written_again_in_place_after_it_was_planned_is_left_to_the_next_run(
    db_path: Path, query: Query, log_dir: Path
) -> None:
    """Planned to read on from its old end, the .gz was decompressed anew and as many bytes of
    the new one skipped: its first lines were never read."""
    log = log_dir / "export.ndjson.gz"
    log.write_bytes(_gz(OLD))
    pipeline.run([str(log)], db_path)
    with open(log, "ab") as fh:  # a member appended: read on from the old end
        fh.write(_gz([f.delivery(f.message(psid="o3", ts=T0 + 3))]))
    result = pipeline.run([str(log)], db_path, on_plan=lambda total: _rewrite_gz(log, MORE))
    assert result.warnings == [
        f"{log}: rewritten (truncated?) since this run listed it: read by the next run"
    ]
    pipeline.run([str(log)], db_path)
    assert _psids(query) == {f"o{i}" for i in range(3)} | {f"n{i}" for i in range(60)}


def test_a_gz_written_again_in_place_before_its_batch_commits_loses_none_of_the_new_lines(
    db_path: Path, query: Query, log_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = log_dir / "export.ndjson.gz"
    log.write_bytes(_gz(OLD))
    _once_before_the_commit(monkeypatch, lambda: _rewrite_gz(log, MORE))
    pipeline.run([str(log)], db_path)
    monkeypatch.undo()
    second = pipeline.run([str(log)], db_path)
    assert second.lines == 60
    assert _psids(query) == {f"o{i}" for i in range(3)} | {f"n{i}" for i in range(60)}
