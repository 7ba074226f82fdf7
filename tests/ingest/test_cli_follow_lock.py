"""A command, an ingest and `ingest --follow` waiting for another process's lock."""

from __future__ import annotations

import io
import signal
from pathlib import Path

import pytest
from rich.console import Console

from ingest import cli as cli_module
from ingest import db, pipeline
from ingest.errors import DatabaseLocked
from ingest.run_result import IngestResult
from tests.conftest import Query
from tests.ingest.cli_setup import _held, _log, _refscope
from tests.ingest.test_cli_follow import LOCK_WAIT


@pytest.mark.parametrize("read_only", [False, True], ids=["writer", "read-only-session"])
def test_a_command_waiting_for_the_lock_says_so_then_goes_on(
    tmp_path: Path, read_only: bool
) -> None:
    """A command started while another process holds the file waited up to 30 s saying
    nothing, as if hung; after a second it now says what it waits for, and goes on once the
    file is free. DuckDB lets no process write while another has the file open, read-only
    included: the message named only "an ingest, prune or forget", when an analyst's SQL
    session made `pages set` wait."""
    db_file = tmp_path / "db.duckdb"
    db.connect(db_file).close()
    with _held(db_file, read_only):
        proc = _refscope("pages", "set", "1122334455", "--name", "Acme", "--db", str(db_file),
                         cwd=tmp_path)  # fmt: skip
        assert proc.stderr is not None
        first = proc.stderr.readline()  # a second in, while the file is still held
    out, err = proc.communicate(timeout=60)
    err = first + err
    assert proc.returncode == 0, (out, err)
    assert err.count(f"{db_file}: {LOCK_WAIT}; waiting up to") == 1, err
    assert Query(db_file)("SELECT page_id, name FROM pages") == [("1122334455", "Acme")]


def test_follow_under_a_long_lock_says_it_waits_once_per_wait_and_when_it_reads_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Under a lock held for many rounds (a rebuild, an analyst's session), each round's
    connect said "locked by another process ...; waiting up to 29 s more" again: one line a
    round, for as long as the lock lasted. It is said once per wait, and "reading again" once
    a round gets through, and a new wait after that is said again."""
    said: list[str] = []
    monkeypatch.setattr(db, "on_lock_wait", lambda path, seconds: said.append(f"wait {path}"))
    # Each round: whether its connect waited, and whether it then got the lock.
    rounds = iter([(True, False), (True, False), (True, False), (False, True),
                   (True, True), (True, False), (True, True)])  # fmt: skip

    def run(paths: list[str], db_file: Path, **kw: object) -> object:
        waits, gets = next(rounds)
        if waits and db.on_lock_wait is not None:
            db.on_lock_wait(db_file, 29.0)  # as db.connect calls it, a second in
        if not gets:
            said.append("error")
            raise DatabaseLocked(f"{db_file}: locked by another process")
        said.append("read")
        return IngestResult(run_id=1)  # what a round that reads nothing returns

    monkeypatch.setattr(pipeline, "run", run)
    monkeypatch.setattr(cli_module.time, "sleep", lambda seconds: None)
    (tmp_path / "logs").mkdir()
    out = io.StringIO()
    db_file = tmp_path / "db.duckdb"
    cli_module._follow(Console(file=out, width=200), [str(tmp_path / "logs")], db_file, 5.0,
                       None, None, cycles=7)  # fmt: skip
    wait = f"wait {db_file}"
    assert said == [wait, "error", "error", "error", "read",
                    wait, "read", wait, "error", "read"], said  # fmt: skip
    lines = out.getvalue().splitlines()
    assert lines.count("reading again") == 3, lines
    assert sum("locked by another process" in line for line in lines) == 2, lines
    assert db.on_lock_wait is not None and db.on_lock_wait.__name__ == "<lambda>"  # put back


def test_an_ingest_stopped_while_waiting_for_the_lock_says_nothing_was_written(
    tmp_path: Path,
) -> None:
    """Ctrl-C while another process held the file said "the next `refscope ingest` ... resumes
    the run": no run had begun, and there is none to resume."""
    db_file = tmp_path / "db.duckdb"
    db.connect(db_file).close()
    with _held(db_file):
        proc = _refscope("ingest", str(_log(tmp_path)), "--db", str(db_file), cwd=tmp_path)
        assert proc.stderr is not None
        assert LOCK_WAIT in proc.stderr.readline()  # waiting, a second in
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, (out, err)
    assert "stopped before reading anything: nothing was written" in err, (out, err)
    assert out == "" and "resumes" not in err and "Traceback" not in err, (out, err)
    assert Query(db_file)("SELECT count(*) FROM ingest_runs") == [(0,)]
