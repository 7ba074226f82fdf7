"""`refscope forget` into a DuckDB file that holds nothing (no command wrote to it), stopped
(Ctrl-C, SIGTERM) before its commit: the file is left as it was, with no object, as a stop
before the commit writes nothing and a database it made is removed.

It kept the refscope schema the forget had written into the file (21 tables)."""

from __future__ import annotations

import signal
from pathlib import Path

import duckdb
import pytest

from tests.ingest.cli_setup import ENTRIES, _signalled_at_call


@pytest.mark.parametrize(
    ("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)], ids=["ctrl-c", "sigterm"]
)
@pytest.mark.parametrize("at", ["ingest/retention.py:forget", "ingest/retention.py:_stored"])
def test_forget_stopped_before_its_commit_leaves_an_empty_file_as_it_was(
    tmp_path: Path, at: str, sig: int, code: int
) -> None:
    db_file = tmp_path / "empty.duckdb"
    duckdb.connect(str(db_file)).close()
    before = db_file.read_bytes()
    done = _signalled_at_call(at, sig, "forget", "42", "--db", str(db_file), cwd=tmp_path,
                              entry=ENTRIES["refscope"])  # fmt: skip
    assert (done.returncode, done.stdout, done.stderr) == (
        code, "", "stopped before forgetting: nothing was written\n"
    )  # fmt: skip
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty.duckdb"]  # no write-ahead log
    con = duckdb.connect(str(db_file), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM duckdb_tables()").fetchone() == (0,)
    finally:
        con.close()
    assert db_file.read_bytes() == before


def test_forget_into_an_empty_file_not_stopped_keeps_the_forget(tmp_path: Path) -> None:
    db_file = tmp_path / "empty.duckdb"
    duckdb.connect(str(db_file)).close()
    done = _signalled_at_call("ingest/cli_retention.py:_remove_killed_pulls:return", signal.SIGINT,
                              "forget", "42", "--no-rewrite", "--db", str(db_file), cwd=tmp_path,
                              entry=ENTRIES["refscope"])  # fmt: skip
    assert done.returncode == 130, done.stderr
    assert done.stderr.splitlines()[-1].startswith("stopped: 42 is forgotten, but ")
    con = duckdb.connect(str(db_file), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM forgotten").fetchone() == (1,)
    finally:
        con.close()
