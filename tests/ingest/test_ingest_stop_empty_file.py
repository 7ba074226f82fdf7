"""`refscope ingest` (a plain run, and `--follow` while it checks the database) into a DuckDB
file that holds nothing (`duckdb.connect(path).close()` made it), stopped (Ctrl-C, SIGTERM)
before its commit: the file is left byte for byte as it was, as a missing `--db` it made is
removed and as `pull`, `forget` and `links` leave such a file.

It kept the refscope schema the ingest had written into the file (21 tables, 268 KiB)."""

from __future__ import annotations

import signal
from pathlib import Path

import duckdb
import pytest

from ingest import db, db_cleanup
from tests.ingest.cli_setup import _log, _signalled_at_call

SIGNALS = pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)],
                                  ids=["ctrl-c", "sigterm"])  # fmt: skip
NOTHING = "stopped before reading anything: nothing was written\n"
RESUMES = ("stopped: what was committed stays; the next `refscope ingest` of the same inputs "
           "resumes the run\n")  # fmt: skip


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
    ],
    ids=["schema-written", "first-transaction"],
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
    assert (done.returncode, done.stderr) == (130, RESUMES)
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
