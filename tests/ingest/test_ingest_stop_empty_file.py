"""`refscope ingest` (a plain run, and `--follow` while it checks the database) into a DuckDB
file that holds nothing (`duckdb.connect(path).close()` made it), stopped (Ctrl-C, SIGTERM)
before its commit: the file is left byte for byte as it was, as a missing `--db` it made is
removed and as `pull`, `forget` and `links` leave such a file.

It kept the refscope schema the ingest had written into the file (21 tables, 268 KiB)."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Any

import duckdb
import pytest

from ingest import db, db_cleanup
from tests.conftest import Query
from tests.ingest.cli_setup import _log, _run_refscope, _signalled_at_call

SIGNALS = pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)],
                                  ids=["ctrl-c", "sigterm"])  # fmt: skip
NOTHING = "stopped before reading anything: nothing was written\n"
RESUMES = ("stopped: what was committed stays; the next `refscope ingest` of the same inputs "
           "resumes the run\n")  # fmt: skip
# The first batch read, as its transaction writes the run's row (runlog.start): nothing is
# committed yet, the way ids are stored (id_scheme) included, which is written with that row.
FIRST_BATCH = "ingest/runlog.py:start"
UNCOMMITTED = "stopped before committing anything: nothing was written\n"


def _empty_file(folder: Path) -> tuple[Path, bytes]:
    _log(folder)
    db_file = folder / "empty.duckdb"
    duckdb.connect(str(db_file)).close()
    return db_file, db_file.read_bytes()


def _as_it_was(db_file: Path, before: bytes) -> None:
    assert sorted(p.name for p in db_file.parent.iterdir()) == ["empty.duckdb", "webhooks.ndjson"]
    assert db_file.read_bytes() == before  # no write-ahead log beside it either (above)


@SIGNALS
@pytest.mark.parametrize(
    ("at", "said"),
    [
        ("ingest/offsets.py:plan_files", NOTHING),  # the schema written, nothing read
        # In its first transaction (the way ids are stored, id_scheme), before its commit.
        ("ingest/rekey.py:private_replies", NOTHING),
        # It kept the schema and its id_scheme row, and said the next ingest resumes the run.
        (FIRST_BATCH, UNCOMMITTED),
    ],
    ids=["schema-written", "first-transaction", "first-batch"],
)
def test_an_ingest_stopped_before_its_commit_leaves_an_empty_file_as_it_was(
    tmp_path: Path, at: str, said: str, sig: int, code: int
) -> None:
    db_file, before = _empty_file(tmp_path)
    done = _signalled_at_call(at, sig, "ingest", "webhooks.ndjson", "--db", str(db_file),
                              cwd=tmp_path)  # fmt: skip
    assert (done.returncode, done.stdout, done.stderr) == (code, "", said)
    _as_it_was(db_file, before)


@SIGNALS
def test_ingest_follow_stopped_while_it_checks_leaves_an_empty_file_as_it_was(
    tmp_path: Path, sig: int, code: int
) -> None:
    """Stopped once the check made the file a refscope database, before "following" is said."""
    db_file, before = _empty_file(tmp_path)
    done = _signalled_at_call("ingest/preflight.py:check_follow:return", sig, "ingest",
                              "webhooks.ndjson", "--follow", "--db", str(db_file),
                              cwd=tmp_path)  # fmt: skip
    assert (done.returncode, done.stdout, done.stderr) == (code, "", NOTHING)
    _as_it_was(db_file, before)


def test_an_ingest_into_an_empty_file_stopped_after_its_commit_keeps_it(tmp_path: Path) -> None:
    """The file holds rows once the run is committed: it is no longer put back."""
    db_file, _ = _empty_file(tmp_path)
    done = _signalled_at_call("ingest/pipeline.py:run:return", signal.SIGINT, "ingest",
                              "webhooks.ndjson", "--db", str(db_file), cwd=tmp_path)  # fmt: skip
    assert (done.returncode, done.stderr) == (130, "stopped: the ingest is committed\n")
    con = db.connect(db_file, read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM events").fetchone() != (0,)
    finally:
        con.close()


def test_a_large_database_is_not_opened_to_see_whether_it_holds_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each ingest enters the block: a database past the bound is never opened for the check
    (tens of ms on a few MB, a tenth of an unchanged re-run's time)."""
    db_file = tmp_path / "big.duckdb"
    con = duckdb.connect(str(db_file))
    con.execute("CREATE TABLE t AS SELECT range AS x FROM range(400000)")
    con.close()
    assert db_file.stat().st_size > db_cleanup.BLANK_BOUND
    opened: list[Path] = []
    monkeypatch.setattr(db_cleanup, "holds_nothing", opened.append)
    with pytest.raises(KeyboardInterrupt), db_cleanup.no_empty_file_left(db_file):
        raise KeyboardInterrupt
    assert opened == []


@SIGNALS
def test_an_ingest_stopped_in_its_first_batch_removes_the_database_it_made(
    tmp_path: Path, sig: int, code: int
) -> None:
    _log(tmp_path)
    done = _signalled_at_call(FIRST_BATCH, sig, "ingest", "webhooks.ndjson", "--db", "new.duckdb",
                              cwd=tmp_path)  # fmt: skip
    assert (done.returncode, done.stdout, done.stderr) == (code, "", UNCOMMITTED)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["webhooks.ndjson"]


def _runs(db_file: Path) -> list[tuple[Any, ...]]:
    return Query(db_file)("SELECT run_id, finished_at IS NULL FROM ingest_runs ORDER BY run_id")


def test_a_new_run_stopped_in_its_first_batch_leaves_a_database_as_it_was(tmp_path: Path) -> None:
    """A database that holds runs: the new run leaves no row, and there is no run to resume."""
    _log(tmp_path)
    assert _run_refscope("ingest", "webhooks.ndjson", "--db", "r.duckdb",
                         cwd=tmp_path).returncode == 0  # fmt: skip
    db_file = tmp_path / "r.duckdb"
    _log(tmp_path, "more.ndjson")
    done = _signalled_at_call(FIRST_BATCH, signal.SIGTERM, "ingest", "more.ndjson", "--db",
                              str(db_file), cwd=tmp_path)  # fmt: skip
    assert (done.returncode, done.stderr) == (143, UNCOMMITTED)
    assert _runs(db_file) == [(1, False)]


def test_a_stopped_run_with_a_committed_batch_is_resumed_and_says_so(tmp_path: Path) -> None:
    """Stopped as it attributes its events, its batch committed, the run stays open; stopped
    again as the next ingest resumes it (no batch of its own), it says so again."""
    _log(tmp_path)
    for _ in range(2):
        done = _signalled_at_call("ingest/run_finish.py:finish", signal.SIGINT, "ingest",
                                  "webhooks.ndjson", "--db", "r.duckdb", cwd=tmp_path)  # fmt: skip
        assert (done.returncode, done.stderr) == (130, RESUMES)
        assert _runs(tmp_path / "r.duckdb") == [(1, True)]
