"""Black-box crash safety on realistic mixed logs (blackbox_logs.py): real ingest processes,
in small batches, killed with SIGKILL at batches picked at random (held inside or after one,
or at work on the next) and while committing, then a re-run, leave every table as one clean
run leaves it. Each kill waits for what the process says it did (paced_ingest.py), not for
a delay."""

from __future__ import annotations

import gzip
import os
import random
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from ingest import pipeline
from tests.conftest import Query
from tests.ingest.blackbox_logs import Generator, split_points
from tests.ingest.paced_ingest import COMMITTED, HOLDING, Paced
from tests.ingest.test_guarantees_blackbox import (
    TIMING,
    assert_accounted,
    differing,
    outcome,
    same_paths,
    write_all,
)

SEED = 4242
BATCH = "64KiB"  # many commits: kills land between them and inside them


def _process(root: Path, db_file: Path, hold: str = "") -> Paced:
    """An ingest that says when it commits a batch and can be held at one (paced_ingest.py)."""
    args = ["ingest", str(root), "--db", str(db_file), "--no-progress"]
    env = {**os.environ, "REFSCOPE_INGEST_BATCH": BATCH}
    return Paced(args, env, hold, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _killed(paced: Paced, db_file: Path, commits: int = 0, on_commit: bool = False) -> bool:
    """SIGKILL the process once it holds (when started with a hold), else once it said it
    committed `commits` batches: at once (it is then at work on the next one) or, on_commit,
    as soon as its write-ahead log changes after that (a batch being committed); False when
    it finished first. Each waits for what the process says it did, not for a delay: on a
    loaded machine a process may need seconds for its first commit."""
    wal = Path(f"{db_file}.wal")
    with paced:
        if paced.hold:
            reached = paced.wait_for(HOLDING)
        else:
            reached = all(paced.wait_for(COMMITTED) for _ in range(commits))
        seen = wal.stat().st_size if wal.exists() else -1
        while reached and paced.proc.poll() is None:
            size = wal.stat().st_size if wal.exists() else -1
            if not on_commit or size != seen:
                paced.proc.send_signal(signal.SIGKILL)
                paced.proc.communicate()
                return True
            time.sleep(0.001)
        _, err = paced.proc.communicate()
        assert paced.proc.returncode == 0, err.decode()
        return False


def _finished(paced: Paced) -> bool:
    """Whether the process ran to its end, unkilled, and succeeded."""
    with paced:
        _, err = paced.proc.communicate()
        assert paced.proc.returncode == 0, err.decode()
        return True


def _tables(db_file: Path) -> dict[str, list[tuple[Any, ...]]]:
    q = Query(db_file)
    tables = q.tables()
    # A process killed after its last commit leaves a whole run: its re-run reads nothing.
    tables["ingest_runs"] = q(f"SELECT * EXCLUDE ({TIMING}) FROM ingest_runs ORDER BY ALL")
    return tables


def _open_runs(db_file: Path) -> int:
    if not db_file.exists():
        return 0
    try:
        q = Query(db_file)
        return int(q.scalar("SELECT count(*) FROM ingest_runs WHERE finished_at IS NULL"))
    except Exception:  # killed before its schema was made: no table to ask
        return 0


def test_runs_killed_at_random_moments_then_a_rerun_equal_one_clean_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = write_all(tmp_path / "logs", Generator(SEED, users=300).logs())
    clean_db, crash_db = tmp_path / "clean.duckdb", tmp_path / "crash.duckdb"
    monkeypatch.setenv("REFSCOPE_INGEST_BATCH", BATCH)
    pipeline.run([str(root)], clean_db)
    clean = _tables(clean_db)
    for table in ("events", "touches", "contacts", "rejects", "ingest_files"):
        assert clean[table], f"{table} is empty: the comparison proves nothing"

    rng = random.Random(SEED)
    kills, open_after = [], []
    # Each process resumes what the last one left, and is killed in turn at a batch picked at
    # random: inside it before its lines load (the first one's leaves nothing of the process),
    # right after one commits (its next batch being read or loaded), or (every other one) while
    # it commits a batch.
    for attempt in range(12):
        if sum(kills) >= 4 and sum(map(bool, open_after)) >= 2:
            break
        if attempt % 2:
            kills.append(_killed(_process(root, crash_db), crash_db, 1, on_commit=True))
        else:
            hold = rng.choice(["in:1", "in:2", "after:1", ""])
            kills.append(_killed(_process(root, crash_db, hold), crash_db, commits=1))
        open_after.append(_open_runs(crash_db))
        if not kills[-1]:
            break  # it finished: nothing is left to kill
    assert sum(kills) >= 3, f"the ingest finished before it could be killed: {kills}"
    assert any(open_after), "no kill left a run open: resuming was not tested"
    assert _finished(_process(root, crash_db))
    got = _tables(crash_db)
    assert {t for t in clean if clean[t] != got.get(t)} == set()


def test_runs_killed_while_the_files_grow_then_a_rerun_equal_one_clean_run(
    tmp_path: Path,
) -> None:
    """The receiver appends while the ingest is killed: a part-read file, its unfinished last
    line, a .gz with a new member; the run that finishes reads on from what was committed."""
    logs = Generator(SEED + 1, users=150).logs()
    whole = write_all(tmp_path / "whole", logs)
    pipeline.run([str(whole)], tmp_path / "clean.duckdb")
    root, crash_db = tmp_path / "logs", tmp_path / "crash.duckdb"
    rng = random.Random(SEED)
    cuts = {log.name: split_points(rng, len(log.content()), 3) for log in logs}
    kills = []
    for step in range(3):
        for log in logs:
            data = log.content()
            piece = data[cuts[log.name][step - 1] if step else 0 : cuts[log.name][step]]
            path = root / log.name
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(path, "ab") as fh:
                fh.write(gzip.compress(piece, mtime=0) if log.name.endswith(".gz") else piece)
        # Once it committed a batch: held there, or while it commits the next one.
        paced = _process(root, crash_db, "" if step == 1 else "after:1")
        kills.append(_killed(paced, crash_db, 1, on_commit=step == 1))
    assert any(kills), "the ingest finished before it could be killed"
    assert _finished(_process(root, crash_db))
    assert_accounted(crash_db, root, logs)
    got = outcome(same_paths(crash_db, root, whole))
    assert differing(outcome(tmp_path / "clean.duckdb"), got) == {}
