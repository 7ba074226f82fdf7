"""`refscope forget` that fails before its commit, in a process of its own: a DuckDB file that
held nothing (no command wrote to it) is left byte for byte as it was, and a missing `--db` is
not made, as a stopped forget leaves them and a failing `pull` leaves them.

A blank id, refused only once the database was open, kept the refscope schema (21 tables) in
the file, or a new database of 268 KiB at a mistyped `--db` (it is now refused before any
database is opened); so did a commit the disk refused (a write-ahead log past the file size
limit), its log holding the schema."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

import duckdb

from tests.ingest.cli_setup import ENTRIES, _clean_env

BLANK = "Error: give the PSID, chat plugin user_ref or commenter id to forget"


def _forget_fails(*args: str, cwd: Path, fsize: int | None = None) -> str:
    """`refscope forget *args` run from its entry point, which exits 1 with one error line, no
    traceback; fsize: the largest file it may write (RLIMIT_FSIZE, bytes). Its error line."""

    def limited() -> None:
        if fsize is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))

    done = subprocess.run([sys.executable, "-c", ENTRIES["refscope"], "forget", *args],
                          cwd=cwd, env=_clean_env(), capture_output=True, text=True, timeout=120,
                          preexec_fn=limited)  # fmt: skip
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    (error,) = [line for line in done.stderr.splitlines() if line.startswith("Error:")]
    return error


def _empty_file(path: Path) -> bytes:
    duckdb.connect(str(path)).close()
    return path.read_bytes()


def _objects(path: Path) -> int:
    con = duckdb.connect(str(path), read_only=True)
    try:
        row = con.execute("SELECT count(*) FROM duckdb_tables()").fetchone()
    finally:
        con.close()
    assert row is not None
    return int(row[0])


def test_a_blank_id_leaves_an_empty_file_as_it_was(tmp_path: Path) -> None:
    before = _empty_file(tmp_path / "empty.duckdb")
    assert _forget_fails("  ", "--db", "empty.duckdb", cwd=tmp_path) == BLANK
    assert sorted(os.listdir(tmp_path)) == ["empty.duckdb"]  # no write-ahead log
    assert (tmp_path / "empty.duckdb").read_bytes() == before
    assert _objects(tmp_path / "empty.duckdb") == 0


def test_a_blank_id_makes_no_database(tmp_path: Path) -> None:
    assert _forget_fails("  ", "--db", "new.duckdb", cwd=tmp_path) == BLANK
    assert os.listdir(tmp_path) == []


def test_a_commit_the_disk_refuses_leaves_an_empty_file_as_it_was(tmp_path: Path) -> None:
    """The schema's write-ahead log fits under the limit; the forget's commit grows it past."""
    (tmp_path / "db").mkdir()
    before = _empty_file(tmp_path / "db" / "empty.duckdb")
    written = (tmp_path / "db" / "empty.duckdb").stat().st_mtime_ns
    schema_log = _wal_size_of_schema(tmp_path)
    assert schema_log < len(before)  # the limit leaves the file's own bytes writable
    error = _forget_fails("42", "--no-rewrite", "--db", "empty.duckdb", cwd=tmp_path / "db",
                          fsize=schema_log + 64)  # fmt: skip
    assert error.startswith("Error: cannot commit: ") and "File too large" in error, error
    assert os.listdir(tmp_path / "db") == ["empty.duckdb"]  # no write-ahead log
    assert (tmp_path / "db" / "empty.duckdb").read_bytes() == before
    # Not written again (the disk refused more than the limit): its bytes never left it.
    assert (tmp_path / "db" / "empty.duckdb").stat().st_mtime_ns == written
    assert _objects(tmp_path / "db" / "empty.duckdb") == 0


def _wal_size_of_schema(folder: Path) -> int:
    """The bytes the refscope schema's commit writes to the write-ahead log of a DuckDB file
    that held nothing (a new one made in folder, left with its log: not checkpointed)."""
    path = folder / "wal.duckdb"
    _empty_file(path)
    # Ended at once (os._exit): a close would checkpoint the log into the file.
    code = ("import os, sys; from pathlib import Path; from ingest import db; "
            "path = Path(sys.argv[1]); con = db.connect(path); "
            "print(db.wal(path).stat().st_size, flush=True); os._exit(0)")  # fmt: skip
    done = subprocess.run([sys.executable, "-c", code, str(path)], env=_clean_env(),
                          capture_output=True, text=True, timeout=60, check=True)  # fmt: skip
    return int(done.stdout)


def test_a_blank_id_is_refused_before_the_database_is_opened(tmp_path: Path) -> None:
    """Said of a file that is no database too: the id is what to mend first."""
    (tmp_path / "notes.txt").write_text("no database\n")
    assert _forget_fails("  ", "--db", "notes.txt", cwd=tmp_path) == BLANK
    assert (tmp_path / "notes.txt").read_text() == "no database\n"
