"""Two files of one database (a copy; a rebuilt file moved into the place of one an ingest still
holds) syncing one lake at once: the database's lock is each file's own, so both synced
together, each cleared the other's staging folders, and both failed, one with a traceback
(`partitions not written`). A sync now holds the lake's lock; the other waits for it."""

from __future__ import annotations

import errno
import fcntl
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from ingest import lake, lake_lock, pipeline
from ingest.errors import LakeError
from tests.ingest.lake_setup import (
    at_once,
    days_log,
    lake_files,
    psids_in_database,
    psids_in_lake,
)

ROUNDS = 4  # without the lock, each of 6 rounds ended with one run failing or both


def _both_at_once(base: Path) -> tuple[list[subprocess.CompletedProcess[str]], list[Path]]:
    """A database with a lake, and its copy; each ingests its own new log, started together."""
    lake_dir = base / "lake"
    first = base / "a.duckdb"
    pipeline.run([str(days_log(base / "logs", 0, 30))], first, lake_dir=lake_dir)
    files = [first, base / "b.duckdb"]
    shutil.copy(first, files[1])
    commands = [
        ["ingest", str(days_log(base / f"new{n}", 40 * (n + 1), 30).parent), "--db", str(db_file),
         "--lake", str(lake_dir), "--no-progress"]
        for n, db_file in enumerate(files)
    ]  # fmt: skip
    return at_once(base, *commands), files


def test_two_files_of_one_database_syncing_one_lake_at_once_take_turns(tmp_path: Path) -> None:
    for r in range(ROUNDS):
        base = tmp_path / f"round{r}"
        runs, files = _both_at_once(base)
        assert [run.returncode for run in runs] == [0, 0], [run.stderr[-500:] for run in runs]
        assert not any("Traceback" in run.stderr for run in runs)
        # The lake is one file's, whole: that of the sync that came second.
        contents = [psids_in_database(db_file) for db_file in files]
        assert contents[0] != contents[1]
        in_lake = psids_in_lake(base / "lake")
        assert in_lake in contents, sorted(in_lake)
        last = files[contents.index(in_lake)]
        assert not lake.is_stale(base / "lake", last)
        assert not list((base / "lake").glob(".*"))  # no staging folder, no lock file left


@pytest.fixture
def synced(tmp_path: Path) -> tuple[Path, Path]:
    db_file, lake_dir = tmp_path / "refscope.duckdb", tmp_path / "lake"
    pipeline.run([str(days_log(tmp_path / "logs", 0, 30))], db_file, lake_dir=lake_dir)
    return db_file, lake_dir


def test_a_sync_that_holds_the_lake_too_long_is_one_error_nothing_written(
    synced: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db_file, lake_dir = synced
    pipeline.run([str(days_log(tmp_path / "more", 40, 30))], db_file)  # the lake is behind
    monkeypatch.setattr(lake_lock, "WAIT", 0.3)
    fd = os.open(lake_dir / lake_lock.NAME, os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # another process's sync, as flock sees it
        before = lake_files(lake_dir)
        with pytest.raises(LakeError) as caught:
            pipeline.run([str(tmp_path / "more")], db_file, lake_dir=lake_dir)
    finally:
        os.close(fd)
    message = str(caught.value)
    assert str(lake_dir) in message and "another process is syncing" in message, message
    assert "nothing was written" in message and "\n" not in message
    assert lake_files(lake_dir) == before
    res = pipeline.run([str(tmp_path / "more")], db_file, lake_dir=lake_dir)  # as it says
    assert res.lake is not None and psids_in_lake(lake_dir) == psids_in_database(db_file)


def test_a_file_system_without_locks_syncs_unlocked(
    synced: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """NFS mounted without its lock service: flock fails with ENOLCK."""
    db_file, lake_dir = synced

    def no_locks(*_: object) -> None:
        raise OSError(errno.ENOLCK, os.strerror(errno.ENOLCK))

    monkeypatch.setattr(fcntl, "flock", no_locks)
    res = pipeline.run([str(days_log(tmp_path / "more", 40, 30))], db_file, lake_dir=lake_dir)
    assert res.lake is not None and res.lake.written > 0
    assert psids_in_lake(lake_dir) == psids_in_database(db_file)
