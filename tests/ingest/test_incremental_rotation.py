"""A log rotated, replaced or removed while a run is on it: between planning and reading, or once
read and before its offset is committed."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import tests.factories as f
from ingest import pipeline
from tests.conftest import Query
from tests.factories import T0


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


def _replaced_before_its_commit(
    monkeypatch: pytest.MonkeyPatch, log: Path, new: list[Any] | None
) -> None:
    """Replace log (rotated: renamed away, a new file in its place; new None: removed) once it is
    read, before its batch commits its offset."""
    from ingest import offsets

    record = offsets.record

    def replaced_then_recorded(*args: Any) -> int:
        if log.exists():
            log.rename(log.with_name("webhooks-1.log"))  # a name no ingest reads
            if new is not None:
                f.write_ndjson(log, new)
        return record(*args)

    monkeypatch.setattr(offsets, "record", replaced_then_recorded)


def test_a_log_replaced_after_it_was_read_is_read_from_its_start_next_time(
    db_path: Path, query: Query, log_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The offset read in the old file was stored with the new file's fingerprint: the next run
    took the new file for grown and skipped as many of its bytes (its first lines, lost)."""
    log = log_dir / "webhooks.ndjson"
    old = [f.delivery(f.message(psid=f"o{i}", ts=T0 + i)) for i in range(3)]
    new = [f.delivery(f.message(psid=f"n{i}", ts=T0 + i)) for i in range(6)]
    f.write_ndjson(log, old)
    _replaced_before_its_commit(monkeypatch, log, new)
    first = pipeline.run([str(log)], db_path)
    assert first.warnings == [] and log.stat().st_size > first.bytes_read
    monkeypatch.undo()
    pipeline.run([str(log)], db_path)
    psids = {r[0] for r in query("SELECT psid FROM events")}
    assert psids == {f"o{i}" for i in range(3)} | {f"n{i}" for i in range(6)}


def test_a_log_removed_after_it_was_read_leaves_the_run_finished(
    db_path: Path, query: Query, log_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its offset could not be fingerprinted: the run stopped, "No such file or directory"."""
    log = f.write_ndjson(log_dir / "webhooks.ndjson", [f.delivery(f.message(psid="g"))])
    _replaced_before_its_commit(monkeypatch, log, None)
    pipeline.run([str(log_dir)], db_path)
    assert query("SELECT psid FROM events") == [("g",)]
    assert query("SELECT finished_at IS NOT NULL FROM ingest_runs") == [(True,)]
    assert query("SELECT count(*) FROM ingest_files") == [(0,)]
