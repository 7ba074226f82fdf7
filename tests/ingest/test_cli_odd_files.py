"""Files that are no log or no refscope database: a pipe, rotated logs, another program's."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from dashboard.cli import cli
from ingest import db, schema
from tests.ingest.cli_setup import _log, _one_error_line, _run_refscope


def test_a_named_pipe_in_a_folder_of_logs_is_refused_not_waited_on(tmp_path: Path) -> None:
    """A FIFO named like a log was opened and read: the ingest hung until a writer came. Named
    on its own it was refused; within a folder it is refused alike."""
    logs = tmp_path / "logs"
    logs.mkdir()
    _log(logs)
    os.mkfifo(logs / "pipe.ndjson")
    proc = _run_refscope("ingest", str(logs), "--db", str(tmp_path / "db.duckdb"), cwd=tmp_path,
                         timeout=60)  # fmt: skip
    assert proc.returncode == 1, (proc.stdout, proc.stderr)
    assert proc.stderr.strip().splitlines() == [
        f"Error: {logs / 'pipe.ndjson'}: not a regular file"
    ]


def test_a_folder_of_rotated_logs_only_says_why_none_is_read(tmp_path: Path) -> None:
    """A folder holding only logrotate's names (x.ndjson.1, its .gz, a dateext one) was read as
    "nothing new to read in 0 files", as if all were read: it now says what it left out, and
    which names a folder scan reads. A dot file (a .gitkeep) is not counted."""
    logs = tmp_path / "logs"
    logs.mkdir()
    _log(logs, "webhooks.ndjson.1")
    (logs / "webhooks.ndjson.2.gz").write_bytes(gzip.compress(b"{}\n"))
    _log(logs, "webhooks.ndjson-20261201")
    (logs / ".gitkeep").write_text("")
    proc = _run_refscope("ingest", str(logs), "--db", str(tmp_path / "db.duckdb"), cwd=tmp_path,
                         timeout=60)  # fmt: skip
    assert proc.returncode == 0, (proc.stdout, proc.stderr)
    out, err = " ".join(proc.stdout.split()), " ".join(proc.stderr.split())
    assert (
        f"warning: {logs}: no file is read by its name (3 left out: webhooks.ndjson-20261201, "
        "webhooks.ndjson.1, webhooks.ndjson.2.gz): a folder is read for *.ndjson, *.jsonl, "
        "*.json and their .gz; give such a file as a PATH to read it"
    ) in err, err  # a warning: on stderr, the summary alone on stdout
    assert out.startswith("nothing new to read in 0 files") and "warning" not in out, out


def test_the_first_columns_read_from_the_schema_text_are_duckdbs() -> None:
    """The check of another program's file reads each table's first column from schema.sql's
    text: every table of the schema, and the column DuckDB makes first."""
    import duckdb

    mem = duckdb.connect(":memory:")
    mem.execute(db.schema_sql())
    first = dict(
        mem.execute("""SELECT table_name, column_name FROM duckdb_columns()
                                WHERE NOT internal AND column_index = 1""").fetchall()
    )
    mem.close()
    assert schema.first_columns() == first


def test_another_programs_duckdb_file_is_refused_and_left_as_it_was(
    runner: CliRunner, tmp_path: Path, log_dir: Path
) -> None:
    """REFSCOPE_DB pointing at another team's DuckDB file with a table named `events`: the
    schema kept that table, and the first query failed with DuckDB's Binder Error traceback."""
    import duckdb

    other = tmp_path / "analytics.duckdb"
    with duckdb.connect(str(other)) as con:
        con.execute("CREATE TABLE events (x INTEGER)")
    result = runner.invoke(cli, ["ingest", str(_log(log_dir)), "--db", str(other)])
    line = _one_error_line(result)
    assert f"{other} is not a refscope database (its table events has no column event_key)" in line
    with duckdb.connect(str(other), read_only=True) as con:
        assert con.execute("SHOW TABLES").fetchall() == [("events",)]  # nothing of refscope's


@pytest.mark.parametrize(
    "command", [["report", "--format", "html"], ["rebuild", "--out", "new.duckdb"]]
)
def test_another_programs_duckdb_file_is_refused_by_a_reader_in_one_line(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: list[str]
) -> None:
    """The readers open the file read-only, without the schema's column check: `report` ended
    in DuckDB's Binder Error traceback (no column ts), `rebuild` in its Catalog Error's."""
    import duckdb

    monkeypatch.chdir(tmp_path)
    other = tmp_path / "analytics.duckdb"
    with duckdb.connect(str(other)) as con:
        con.execute("CREATE TABLE events (x INTEGER)")
    result = runner.invoke(cli, [*command, "--db", str(other)])
    line = _one_error_line(result)
    assert f"{other} is not a refscope database (its table events has no column event_key)" in line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["analytics.duckdb"]  # nothing written


@pytest.mark.parametrize("rewrite", [[], ["--rewrite"]], ids=["prune", "prune --rewrite"])
def test_prune_refuses_another_programs_duckdb_file_and_leaves_it_as_it_was(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rewrite: list[str]
) -> None:
    """prune removes from a refscope database and makes none: on another program's DuckDB
    file (no table of refscope's) it created refscope's schema there and said "removed data
    before ...: 0 events", where `report` and `links list` refuse the file."""
    import duckdb

    monkeypatch.chdir(tmp_path)
    other = tmp_path / "analytics.duckdb"
    with duckdb.connect(str(other)) as con:
        con.execute("CREATE TABLE orders AS SELECT 1 AS id, 2.5 AS amount")
    result = runner.invoke(cli, ["prune", "--older-than", "1y", *rewrite, "--db", str(other)])
    line = _one_error_line(result)
    assert f"{other} is not a refscope database (no events table)" in line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["analytics.duckdb"]  # nothing written
    with duckdb.connect(str(other), read_only=True) as con:
        assert con.execute("SHOW TABLES").fetchall() == [("orders",)]  # nothing of refscope's
        assert con.execute("SELECT * FROM orders").fetchall() == [(1, 2.5)]


@pytest.mark.parametrize("rewrite", [[], ["--no-rewrite"]], ids=["forget", "forget --no-rewrite"])
def test_forget_refuses_another_programs_duckdb_file_and_leaves_it_as_it_was(
    runner: CliRunner, tmp_path: Path, rewrite: list[str]
) -> None:
    """forget on another program's DuckDB file (no table of refscope's) created refscope's
    schema there, said "forgotten: 0 events ..." and then wrote the whole file anew, where
    prune, report and links list refuse it."""
    import duckdb

    other = tmp_path / "analytics.duckdb"
    with duckdb.connect(str(other)) as con:
        con.execute("CREATE TABLE orders AS SELECT 1 AS id, 2.5 AS amount")
    before = other.read_bytes()
    result = runner.invoke(cli, ["forget", "1234567890", *rewrite, "--db", str(other)])
    line = _one_error_line(result)
    assert f"{other} is not a refscope database (no events table)" in line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["analytics.duckdb"]  # nothing written
    assert other.read_bytes() == before


@pytest.mark.parametrize("given", [False, True], ids=["rebuild", "rebuild PATH"])
def test_rebuild_refuses_a_duckdb_file_without_refscopes_tables_in_one_line(
    runner: CliRunner, tmp_path: Path, log_dir: Path, given: bool
) -> None:
    """Another program's DuckDB file with no table of refscope's: `rebuild` ended in DuckDB's
    Catalog Error traceback (no table ingest_files)."""
    import duckdb

    log = _log(log_dir)
    other, out = tmp_path / "analytics.duckdb", tmp_path / "new.duckdb"
    with duckdb.connect(str(other)) as con:
        con.execute("CREATE TABLE orders AS SELECT 1 AS id")
    paths = [str(log)] if given else []
    result = runner.invoke(cli, ["rebuild", *paths, "--out", str(out), "--db", str(other)])
    line = _one_error_line(result)
    assert f"{other} is not a refscope database (no ingest_files table)" in line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["analytics.duckdb", log_dir.name]


def test_a_sqlite_file_as_the_database_is_named_so(
    runner: CliRunner, tmp_path: Path, log_dir: Path
) -> None:
    """DuckDB opens a SQLite file through an extension, and its error told the user to install
    it (then refscope would write its tables into that file)."""
    import sqlite3

    lite = tmp_path / "app.db"
    with sqlite3.connect(lite) as con:
        con.execute("CREATE TABLE t (x INTEGER)")
    result = runner.invoke(cli, ["ingest", str(_log(log_dir)), "--db", str(lite)])
    line = _one_error_line(result)
    assert line == f"Error: {lite}: cannot open: a SQLite file, not a DuckDB database"


@pytest.mark.parametrize("spec", ["", "  "])
def test_an_empty_lake_folder_is_refused_not_taken_for_the_current_one(
    runner: CliRunner, tmp_path: Path, log_dir: Path, monkeypatch: pytest.MonkeyPatch, spec: str
) -> None:
    """`--lake "$LAKE"` with LAKE unset wrote the lake's folders and files (and removed old
    partitions) in whatever folder the command ran in; a name of blanks only is no folder
    name either (as an empty PATH is refused)."""
    here = tmp_path / "home"
    here.mkdir()
    monkeypatch.chdir(here)
    log = _log(log_dir)
    for args in (["ingest", str(log)], ["prune", "--older-than", "100y"]):
        result = runner.invoke(cli, [*args, "--db", str(tmp_path / "db.duckdb"), "--lake", spec])
        assert result.exit_code == 2, result.output
        assert "Invalid value for '--lake': an empty folder name" in result.output
    assert list(here.iterdir()) == []


@pytest.mark.parametrize("name", ["old.ndjson", "contacts.csv", "empty.json"])
def test_a_data_file_as_the_database_is_refused_not_read_into_memory(
    tmp_path: Path, name: str
) -> None:
    """DuckDB opens an existing JSON, CSV or Parquet file given as the database as an
    in-memory database over its data: `ingest --db old.ndjson` printed its summary, exit 0,
    and stored nothing anywhere."""
    logs = tmp_path / "logs"
    logs.mkdir()
    _log(logs)
    target = tmp_path / name
    content = "" if name == "empty.json" else _log(tmp_path, "x.ndjson").read_text()
    if name.endswith(".csv"):
        content = "page_id,psid\n1,2\n"
    target.write_text(content)
    for args in (("ingest", str(logs)), ("report", "--out", str(tmp_path / "r.html"))):
        proc = _run_refscope(*args, "--db", str(target), cwd=tmp_path, timeout=120)
        assert proc.returncode == 1, (args, proc.stdout, proc.stderr)
        assert proc.stderr.strip().splitlines() == [
            f"Error: {target}: cannot open: not a DuckDB database file"
        ], args
        assert "run 1" not in proc.stdout
    assert target.read_text() == content
    assert not (tmp_path / "r.html").exists()


@pytest.mark.parametrize("spec", ["", "  "])
def test_an_empty_database_name_is_refused_not_taken_for_the_current_folder(
    runner: CliRunner, tmp_path: Path, log_dir: Path, monkeypatch: pytest.MonkeyPatch, spec: str
) -> None:
    """`--db "$DB"` with DB unset failed with DuckDB's `.: cannot open: IO Error: Could not
    read from file ...: Is a directory`; a name of blanks only created a database file of that
    name in whatever folder the command ran in. Both are refused, as an empty --lake is."""
    here = tmp_path / "home"
    here.mkdir()
    monkeypatch.chdir(here)
    log = _log(log_dir)
    for args in (["ingest", str(log)], ["prune", "--older-than", "100y"], ["links", "list"]):
        result = runner.invoke(cli, [*args, "--db", spec])
        assert result.exit_code == 2, (args, result.output)
        assert "Invalid value for '--db': an empty file name" in result.output, result.output
    assert list(here.iterdir()) == []


def _misnamed_then_renamed(tmp_path: Path, name: str, data: bytes, error: str, to: str,
                           read: str) -> None:  # fmt: skip
    """logs/name holding data is refused with exactly error, nothing read; renamed to, read."""
    logs = tmp_path / "logs"
    (logs / name).write_bytes(data)
    db_file = tmp_path / "db.duckdb"
    proc = _run_refscope("ingest", str(logs), "--db", str(db_file), cwd=tmp_path, timeout=120)
    assert proc.returncode == 1, (proc.stdout, proc.stderr)
    assert proc.stderr.strip().splitlines() == [f"Error: {logs / name}: {error}"]
    (logs / name).rename(logs / to)
    proc = _run_refscope("ingest", str(logs), "--db", str(db_file), cwd=tmp_path, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "0 rejects" in proc.stdout and read in proc.stdout, proc.stdout


def test_a_gzipped_log_not_named_gz_is_named_as_such_not_read_as_noise(tmp_path: Path) -> None:
    """A log gzipped under its own name (`gzip -c x.ndjson > y.ndjson`) was read as text: its
    compressed bytes became a run of `invalid UTF-8` rejects, and its events were not read.
    It is an error naming the fix, before anything is read; renamed, it is read."""
    (tmp_path / "logs").mkdir()
    text = _log(tmp_path, "plain.ndjson").read_bytes()
    _log(tmp_path / "logs", "other.ndjson")
    error = "gzip data in a file not named .gz: rename it webhooks.ndjson.gz"
    _misnamed_then_renamed(tmp_path, "webhooks.ndjson", gzip.compress(text), error,
                           "webhooks.ndjson.gz", "2 of 2 files read")  # fmt: skip


def test_a_text_log_named_gz_names_the_fix_as_the_other_way_round(tmp_path: Path) -> None:
    """A log saved under a .gz name but not compressed (`cp x.ndjson y.ndjson.gz`) stopped the
    run with gzip's own words ("Not a gzipped file"), no advice, where the other way round names
    the fix. It now says its data is not compressed and what to rename it; renamed, it is read."""
    (tmp_path / "logs").mkdir()
    text = _log(tmp_path, "plain.ndjson").read_bytes()
    error = ("cannot read: Not a gzipped file (b'{\"') (its data is not compressed: rename it "
             "webhooks.ndjson to have it read)")  # fmt: skip
    _misnamed_then_renamed(tmp_path, "webhooks.ndjson.gz", text, error, "webhooks.ndjson",
                           "1 of 1 file read")  # fmt: skip


def test_a_folder_scan_leaves_out_dot_files_and_folders(tmp_path: Path) -> None:
    """As a shell's `*`: an editor's lock link (`.#webhooks.ndjson`, pointing nowhere) stopped
    the run as a broken symlink, and a hidden folder's copies were read as logs."""
    logs = tmp_path / "logs"
    logs.mkdir()
    _log(logs)
    (logs / ".#webhooks.ndjson").symlink_to("root@host.4242:1733270400")
    (logs / ".trash").mkdir()
    (logs / ".trash" / "old.ndjson").write_text("not json\n")
    (logs / ".partial.ndjson").write_text("not json either\n")
    db_file = tmp_path / "db.duckdb"
    proc = _run_refscope("ingest", str(logs), "--db", str(db_file), cwd=tmp_path, timeout=60)
    assert proc.returncode == 0, (proc.stdout, proc.stderr)
    con = db.connect(db_file, read_only=True)
    try:
        files = con.execute("SELECT path FROM ingest_files").fetchall()
        rejects = con.execute("SELECT count(*) FROM rejects").fetchone()
    finally:
        con.close()
    assert files == [(str((logs / "webhooks.ndjson").resolve()),)] and rejects == (0,)


@pytest.mark.parametrize(
    "command",
    [["ingest", "{log}", "--db", "{target}"],
     ["pages", "set", "1122334455", "--name", "Acme", "--db", "{target}"],
     ["report", "--db", "{real}", "--out", "{target}"]],
    ids=["ingest --db", "pages set --db", "report --out"],
)  # fmt: skip
@pytest.mark.parametrize("depth", [1, 2], ids=["in the file", "below the file"])
def test_a_path_through_a_file_is_refused_saying_so(
    runner: CliRunner, tmp_path: Path, log_dir: Path, command: list[str], depth: int
) -> None:
    """A --db or --out whose folder would be made inside a file (`data` a file, not a folder)
    was refused as `Error: data: File exists` (or `data/x: Not a directory`), which did not
    say what was wrong."""
    log = _log(log_dir)
    real = tmp_path / "real.duckdb"
    assert runner.invoke(cli, ["ingest", str(log), "--db", str(real)]).exit_code == 0
    (tmp_path / "data").write_text("not a folder\n")
    target = tmp_path / "data" / ("x/" * (depth - 1)) / "r.html"
    args = [a.format(log=log, target=target, real=real) for a in command]
    line = _one_error_line(runner.invoke(cli, args))
    reason = "File exists" if depth == 1 else "Not a directory"  # the OS's, kept
    assert line == (
        f"Error: {target}: cannot make its folder {target.parent}: {reason}: a part of that "
        "path is a file, not a folder"
    ), line
    assert (tmp_path / "data").read_text() == "not a folder\n"
