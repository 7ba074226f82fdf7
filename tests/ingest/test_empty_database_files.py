"""A database file with nothing in it: a DuckDB file no command wrote to (`duckdb.connect(path)
.close()`), which `ingest` makes a refscope database, and a file of 0 bytes (`touch`), which no
command can open. Each is named in a refscope error of one line that says what to do, not
DuckDB's own words, and is left as it was."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pytest

from tests.ingest.cli_setup import _refused_in_process, _run_refscope
from tests.local_http import free_port


def test_report_on_an_empty_duckdb_file_says_it_holds_no_data_yet(tmp_path: Path) -> None:
    """It said the file was "not a refscope database (no events table)", where `ingest` makes
    it one; a missing database is said to be none yet, with what to run."""
    empty = tmp_path / "refscope.duckdb"
    duckdb.connect(str(empty)).close()
    before = empty.read_bytes()
    error = _refused_in_process("report", "--db", str(empty), "--out", str(tmp_path / "r.html"),
                                cwd=tmp_path)  # fmt: skip
    assert error == f"Error: {empty}: an empty database, no data yet; run `refscope ingest` first"
    assert empty.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["refscope.duckdb"]  # no report, no .wal


@pytest.mark.parametrize("fmt", ["tsv", "csv"])
def test_links_list_on_an_empty_duckdb_file_lists_none(tmp_path: Path, fmt: str) -> None:
    """It said the file was "not a refscope database (no tracked_links table)": a file no
    command wrote to, which `ingest` or `links create` makes a refscope database, has no links
    registered, as a missing database has none, and is read only."""
    empty = tmp_path / "refscope.duckdb"
    duckdb.connect(str(empty)).close()
    before = empty.read_bytes()
    listed = _run_refscope("links", "list", "--format", fmt, "--db", str(empty), cwd=tmp_path)
    none = _run_refscope("links", "list", "--format", fmt, "--db", str(tmp_path / "no.duckdb"),
                         cwd=tmp_path)  # fmt: skip
    assert (listed.returncode, listed.stderr) == (0, ""), listed.stderr
    assert (none.returncode, none.stderr) == (0, ""), none.stderr
    assert listed.stdout == none.stdout and len(listed.stdout.splitlines()) == 1  # the header
    assert empty.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["refscope.duckdb"]  # no .wal, no other database


ZERO_BYTES = "a file of 0 bytes, not a DuckDB database: remove it"


@pytest.mark.parametrize(
    "command",
    [["report", "--out", "{tmp}/r.html"], ["ingest", "{tmp}/none.ndjson"], ["links", "list"],
     ["dashboard", "--port", "{port}"]],
    ids=["report", "ingest", "links list", "dashboard"],
)  # fmt: skip
def test_a_file_of_0_bytes_is_named_in_refscopes_words(tmp_path: Path, command: list[str]) -> None:
    """Every command said DuckDB's `IO Error: The file "…" exists, but it is not a valid DuckDB
    database file!`: a file of 0 bytes (`touch`, a copy that wrote nothing) is said to be one."""
    zero = tmp_path / "refscope.duckdb"
    zero.touch()
    (tmp_path / "none.ndjson").write_text("", encoding="utf-8")
    args = [a.format(tmp=tmp_path, port=free_port()) for a in command]
    error = _refused_in_process(*args, "--db", str(zero), cwd=tmp_path, timeout=60)
    assert error.startswith(f"Error: {zero}: cannot open: {ZERO_BYTES}"), error
    assert "IO Error" not in error
    assert zero.stat().st_size == 0
    assert sorted(os.listdir(tmp_path)) == ["none.ndjson", "refscope.duckdb"]


@pytest.mark.parametrize(
    ("command", "missing", "empty"),
    [
        (["links", "qr", "spring"], "ref 'spring' is not registered: {db}: no database yet",
         "ref 'spring' is not registered: {db}: an empty database, no data yet"),
        (["prune", "--older-than", "90d"], "{db}: no database yet; nothing to prune",
         "{db}: an empty database, no data yet; nothing to prune"),
        (["rebuild", "--out", "{tmp}/new.duckdb"], "{db}: no database to rebuild",
         "{db}: an empty database, no data to rebuild"),
    ],
    ids=["links qr", "prune", "rebuild"],
)  # fmt: skip
def test_readers_say_an_empty_duckdb_file_holds_no_data_as_a_missing_one(
    tmp_path: Path, command: list[str], missing: str, empty: str
) -> None:
    """Each said the file was "not a refscope database (no … table)": a file no command wrote
    to, which `ingest` makes a refscope database, holds no data yet, as a missing one, and is
    left as it was."""
    empty_db = tmp_path / "refscope.duckdb"
    duckdb.connect(str(empty_db)).close()
    before = empty_db.read_bytes()
    for db_file, said in ((tmp_path / "no.duckdb", missing), (empty_db, empty)):
        args = [a.format(tmp=tmp_path) for a in command]
        error = _refused_in_process(*args, "--db", str(db_file), cwd=tmp_path)
        assert error.startswith("Error: " + said.format(db=db_file)), error
    assert empty_db.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["refscope.duckdb"]  # no code, no .wal, no new file


def test_forget_keeps_the_forget_in_an_empty_duckdb_file(tmp_path: Path) -> None:
    """It said the file was "not a refscope database (no events table)": forget makes a missing
    database to keep the forget, and keeps it in a file no command wrote to, as `ingest` makes
    that a refscope database; it says so, not that the file was created."""
    empty = tmp_path / "refscope.duckdb"
    duckdb.connect(str(empty)).close()
    done = _run_refscope("forget", "1234567", "--db", str(empty), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "not a refscope database" not in done.stderr and "did not exist" not in done.stderr
    assert f"{empty} held no data: the forget is kept in it" in done.stderr, done.stderr
    con = duckdb.connect(str(empty), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM forgotten").fetchone() == (1,)
    finally:
        con.close()
