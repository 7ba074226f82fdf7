"""`refscope ingest --lake` stopped (Ctrl-C, SIGTERM) while it brings the lake in line, its run
committed (from its commit on: the CHECKPOINT after it comes first), or once it has: one line
saying what it left, exit 130 or 143, in the words `pull ads --lake` uses
(test_pull_lake_stops.py); the next ingest given the lake brings it in line.

Stopped in its sync, it said ``stopped: what was committed stays; the next `refscope ingest` of
the same inputs resumes the run``: the run was committed, and there was none to resume. Run
from the real entry point (`refscope`), the signal sent as the named function is first called."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.ingest.cli_setup import _log, _run_refscope
from tests.ingest.test_stop_after_the_work import SIGNALS, _count, _late

INGEST = ["ingest", "log.ndjson", "--db", "r.duckdb", "--lake", "lake"]
COMMITTED = "stopped: the ingest is committed"
LAKE_BEHIND = "; the lake is brought in line at the next run or pull given it"


@SIGNALS
@pytest.mark.parametrize(
    ("at", "said"),
    [
        ("ingest/db.py:checkpoint", COMMITTED + LAKE_BEHIND),
        ("ingest/lake.py:sync", COMMITTED + LAKE_BEHIND),
        ("ingest/pipeline.py:run:return", COMMITTED),
    ],
    ids=["checkpoint", "syncing", "synced"],
)
def test_ingest_with_lake_stopped_in_or_after_its_sync_says_the_ingest_is_committed(
    tmp_path: Path, at: str, said: str, sig: int, code: int
) -> None:
    _log(tmp_path, "log.ndjson")
    assert _late(tmp_path, at, sig, *INGEST) == (code, said + "\n")
    assert _count(tmp_path / "r.duckdb", "events") == 2
    again = _run_refscope(*INGEST, cwd=tmp_path)  # nothing new: the lake is caught up, or not
    assert again.returncode == 0, again.stderr
    assert ("lake: " in again.stdout) == (said != COMMITTED), again.stdout
    assert _count(tmp_path / "r.duckdb", "ingest_runs") == 1


@SIGNALS
def test_ingest_with_nothing_new_stopped_bringing_a_stale_lake_in_line(
    tmp_path: Path, sig: int, code: int
) -> None:
    """No run of its own: what was committed before stays, and so does the stale lake."""
    _log(tmp_path, "log.ndjson")
    assert _run_refscope(*INGEST, cwd=tmp_path).returncode == 0
    saved = _run_refscope("pages", "set", "123", "--name", "A", "--db", "r.duckdb", cwd=tmp_path)
    assert saved.returncode == 0, saved.stderr  # the lake is behind the database now
    assert _late(tmp_path, "ingest/lake.py:sync", sig, *INGEST) == (
        code, COMMITTED + LAKE_BEHIND + "\n"
    )  # fmt: skip
    again = _run_refscope(*INGEST, cwd=tmp_path)
    assert again.returncode == 0 and "lake: " in again.stdout, again.stdout + again.stderr
