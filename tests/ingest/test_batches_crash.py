"""Crash safety: a run killed with SIGKILL (real subprocesses) or stopped by Ctrl-C or SIGTERM
keeps what it committed and is resumed, and the end result is that of one clean run; the schema
is made whole or not at all."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import duckdb
import pytest

import tests.factories as f
from ingest import db, pipeline
from ingest.errors import DatabaseError
from tests.conftest import Query
from tests.ingest.logs import snapshot
from tests.ingest.paced_ingest import COMMITTED, HOLDING, Paced

BIG_DELIVERIES = 150_000  # enough for a run of well over a second on a laptop
TIMING_COLUMNS = "started_at, finished_at, seconds"


@pytest.fixture(scope="module")
def big_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("big") / "webhooks.ndjson"
    path.write_text("\n".join(f.big_log_lines(BIG_DELIVERIES)) + "\n")
    return path


def _ingest_cmd(log: Path, db_file: Path) -> list[str]:
    return [sys.executable, "-m", "ingest", "ingest", str(log), "--db", str(db_file),
            "--no-progress"]  # fmt: skip


def _paced(log: Path, db_file: Path, hold: str = "", **popen: Any) -> Paced:
    """An ingest in small batches, so that kills land between its commits too, which says when
    it commits and can be held at a batch (paced_ingest.py): kills land where they are meant
    to however loaded the machine is."""
    env = {**os.environ, "REFSCOPE_INGEST_BATCH": "4MB"}
    popen.setdefault("stdout", subprocess.DEVNULL)
    popen.setdefault("stderr", subprocess.DEVNULL)
    return Paced(_ingest_cmd(log, db_file)[2:], env, hold, **popen)


def _open_run_events(db_file: Path) -> int:
    """Events committed by a run that has not finished (0 when there is none, or when the kill
    landed before the schema was made)."""
    if not db_file.exists():
        return 0
    con = duckdb.connect(str(db_file), read_only=True)
    try:
        if not con.execute("SELECT 1 FROM duckdb_tables() WHERE table_name = 'events'").fetchone():
            return 0
        row = con.execute(
            """SELECT count(*) FROM events WHERE run_id IN (
                   SELECT run_id FROM ingest_runs WHERE finished_at IS NULL)"""
        ).fetchone()
        return int(row[0]) if row else 0
    finally:
        con.close()


def _kill_held(paced: Paced) -> bool:
    """SIGKILL the process once it holds (paced_ingest.py); True if it did hold."""
    with paced:
        if not paced.wait_for(HOLDING):
            return False
        paced.proc.send_signal(signal.SIGKILL)
        paced.proc.wait()
        return True


def _kill_on_commit(paced: Paced, commits: int) -> bool:
    """SIGKILL the process as soon as it says it committed its `commits`th batch: it is then
    reading or loading the next one, or committing it; True if it was still running."""
    with paced:
        for _ in range(commits):
            if not paced.wait_for(COMMITTED):
                return False
        paced.proc.send_signal(signal.SIGKILL)
        paced.proc.wait()
        return paced.proc.returncode == -signal.SIGKILL


def _kill_while_committing(paced: Paced, db_file: Path) -> bool:
    """SIGKILL the process as soon as a commit after its first one starts filling the
    write-ahead log."""
    wal = Path(f"{db_file}.wal")
    with paced:
        if not paced.wait_for(COMMITTED):
            return False
        base: int | None = None  # the log's size before the commit (a checkpoint empties it)
        while paced.proc.poll() is None:
            size = wal.stat().st_size if wal.exists() else 0
            base = size if base is None else min(base, size)
            if size > base + 1_000_000:
                paced.proc.send_signal(signal.SIGKILL)
                paced.proc.wait()
                return True
            time.sleep(0.002)
        return False


def _differences(a: Path, b: Path) -> dict[str, tuple[int, int, int]]:
    """Tables whose rows differ: {table: (rows in a, rows in b, rows not in both)}."""
    con = duckdb.connect()
    try:
        con.execute(f"ATTACH '{a}' AS a (READ_ONLY)")
        con.execute(f"ATTACH '{b}' AS b (READ_ONLY)")
        tables = [
            r[0]
            for r in con.execute(
                "SELECT table_name FROM duckdb_tables() WHERE database_name = 'a'"
            ).fetchall()
        ]
        assert tables and tables == [
            r[0]
            for r in con.execute(
                "SELECT table_name FROM duckdb_tables() WHERE database_name = 'b'"
            ).fetchall()
        ]
        out = {}
        for t in tables:
            cols = "*"
            where = ""
            if t == "ingest_runs":
                # A run killed after its commit was durable is complete: the re-run reads nothing.
                cols, where = f"* EXCLUDE ({TIMING_COLUMNS})", "WHERE lines_read > 0"
            rows = f"SELECT {cols} FROM {{db}}.{t} {where}"
            a_rows, b_rows = (rows.format(db=d) for d in "ab")
            (n_a,), (n_b,) = (con.execute(f"SELECT count(*) FROM ({q})").fetchone()
                              for q in (a_rows, b_rows))  # fmt: skip
            (diff,) = con.execute(
                f"SELECT count(*) FROM (({a_rows} EXCEPT ALL {b_rows}) "
                f"UNION ALL ({b_rows} EXCEPT ALL {a_rows}))"
            ).fetchone()
            if diff or n_a != n_b:
                out[t] = (n_a, n_b, diff)
            elif t in ("events", "contacts", "touches", "rejects", "ingest_runs"):
                assert n_a > 0, f"{t} is empty: the comparison proves nothing"
        return out
    finally:
        con.close()


def test_the_schema_is_made_whole_or_not_at_all(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As if the process died before the last table: the tables made before it are undone.
    broken = db.schema_sql() + "\nCREATE TABLE last_one (x NO_SUCH_TYPE);"
    monkeypatch.setattr(db, "schema_sql", lambda: broken)
    db_file = tmp_path / "r.duckdb"
    with pytest.raises(DatabaseError, match="cannot apply the schema"):
        db.connect(db_file)
    con = duckdb.connect(str(db_file), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM duckdb_tables()").fetchone() == (0,)
    finally:
        con.close()


def test_killed_runs_then_a_rerun_equal_one_clean_run(big_log: Path, tmp_path: Path) -> None:
    clean_db, crash_db = tmp_path / "clean.duckdb", tmp_path / "crash.duckdb"
    done = subprocess.run(_ingest_cmd(big_log, clean_db), capture_output=True, check=False)
    assert done.returncode == 0, done.stderr.decode()

    # Each kill leaves a run part-way; the next process resumes it and is killed in turn: inside
    # its first batch (nothing of it is committed), between two batches, inside one (its lines
    # read, not loaded), at whatever point it is once it committed one, and while it commits.
    # Each waits for what the process says it did, not for a delay.
    killed, partial = [], []
    for hold in ("in:1", "after:1", "in:2"):
        killed.append(_kill_held(_paced(big_log, crash_db, hold)))
        partial.append(_open_run_events(crash_db))
    killed.append(_kill_on_commit(_paced(big_log, crash_db), 1))
    partial.append(_open_run_events(crash_db))
    killed.append(_kill_while_committing(_paced(big_log, crash_db), crash_db))
    assert sum(killed) >= 3, f"the ingest finished before it could be killed: {killed}"
    assert any(partial), "no kill landed between two batches: resuming was not tested"

    done = subprocess.run(_ingest_cmd(big_log, crash_db), capture_output=True, check=False)
    assert done.returncode == 0, done.stderr.decode()
    assert _differences(clean_db, crash_db) == {}


def test_killed_run_keeps_earlier_results_and_is_resumed(big_log: Path, tmp_path: Path) -> None:
    db_file = tmp_path / "refscope.duckdb"
    small = f.write_ndjson(tmp_path / "small.ndjson", [f.delivery(f.message(psid="u1"))])
    pipeline.run([str(small)], db_file)
    before = snapshot(Query(db_file))
    # Killed inside its second batch: its first is committed.
    assert _kill_held(_paced(big_log, db_file, "in:2"))
    query = Query(db_file)
    after = snapshot(query)
    for table in ("contacts", "touches", "contact_days"):
        assert after[table] == before[table], table  # attributed only when the run finishes
    assert query("SELECT run_id, finished_at IS NULL FROM ingest_runs") == [(1, False), (2, True)]
    assert query("SELECT count(*) FROM events WHERE run_id = 2")[0][0] > 0
    # Its seconds are committed with its counts: the resumed run's events/s counts both.
    (killed_seconds,) = query("SELECT seconds FROM ingest_runs WHERE run_id = 2")[0]
    assert killed_seconds is not None and killed_seconds > 0
    t0 = time.perf_counter()
    result = pipeline.run([str(big_log)], db_file)
    wall = time.perf_counter() - t0
    assert (result.run_id, result.resumed) == (2, True)
    assert query("SELECT run_id, finished_at IS NULL FROM ingest_runs") == [(1, False), (2, False)]
    assert result.earlier_seconds == killed_seconds
    assert killed_seconds < result.seconds <= killed_seconds + wall
    assert query("SELECT seconds FROM ingest_runs WHERE run_id = 2") == [(result.seconds,)]
    assert query("SELECT count(*) FROM contacts")[0][0] > 1


@pytest.mark.parametrize(
    ("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)], ids=["ctrl-c", "sigterm"]
)
def test_ctrl_c_stops_an_ingest_with_a_message_and_the_rerun_finishes_it(
    big_log: Path, tmp_path: Path, sig: signal.Signals, code: int
) -> None:
    """Stopped by Ctrl-C or SIGTERM (a service manager, `timeout`), the run rolls its batch back
    and exits as a shell reports a stop by that signal (128 + its number: it was 130 for both)."""
    clean_db, stopped_db = tmp_path / "clean.duckdb", tmp_path / "stopped.duckdb"
    done = subprocess.run(_ingest_cmd(big_log, clean_db), capture_output=True, check=False)
    assert done.returncode == 0, done.stderr.decode()
    # Inside its second batch (its lines read, not loaded; its first committed), as it holds.
    with _paced(
        big_log, stopped_db, "in:2", stdout=subprocess.PIPE, stderr=subprocess.PIPE
    ) as paced:
        returncode, text = paced.stopped(sig)
    assert returncode == code, text
    assert "stopped:" in text and "resumes the run" in text
    assert "Traceback" not in text
    done = subprocess.run(_ingest_cmd(big_log, stopped_db), capture_output=True, check=False)
    assert done.returncode == 0, done.stderr.decode()
    assert _differences(clean_db, stopped_db) == {}
