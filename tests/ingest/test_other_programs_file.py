"""A writer given another program's DuckDB file (tables of its own, none of refscope's) refuses
it and leaves it byte for byte as it was; a new, an empty and a refscope database open."""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from dashboard.cli import cli
from ingest import db
from ingest.errors import DatabaseError
from tests.ingest.cli_setup import _log, _one_error_line, _run_refscope
from tests.ingest.graph_setup import ACCOUNT, TOKEN, days

OTHERS = "CREATE TABLE orders AS SELECT 1 AS id, 2.5 AS amount; CREATE TABLE customers (id INT)"


def _other(path: Path, *, wal: bool) -> Path:
    """Another program's file; with wal, its last insert still in the .wal beside it."""
    with duckdb.connect(str(path)) as con:
        con.execute(OTHERS)
    if wal:
        con = duckdb.connect(str(path))
        con.execute("PRAGMA disable_checkpoint_on_shutdown")
        con.execute("INSERT INTO orders VALUES (2, 4.0)")
        con.close()
        assert db.wal(path).exists()
    return path


def _hashes(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()}


def _said(path: Path) -> str:
    return (
        f"Error: {path} is not a refscope database (no events table): it holds customers, orders; "
        "refscope writes only into its own database or a new file: give another --db (or "
        "REFSCOPE_DB), or the path of a new file"
    )


@pytest.mark.parametrize("wal", [False, True], ids=["file", "file and .wal"])
def test_ingest_refuses_another_programs_file_and_leaves_its_bytes(
    tmp_path: Path, log_dir: Path, wal: bool
) -> None:
    """Tables that do not clash with refscope's passed check_columns: the ingest added
    refscope's tables to the file and stored its events there."""
    log = _log(log_dir)
    folder = tmp_path / "theirs"
    folder.mkdir()
    other = _other(folder / "shop.duckdb", wal=wal)
    before = _hashes(folder)
    proc = _run_refscope("ingest", str(log), "--db", str(other), cwd=tmp_path, timeout=120)
    assert proc.returncode == 1, (proc.stdout, proc.stderr)
    assert proc.stderr.strip().splitlines() == [_said(other)]
    assert _hashes(folder) == before


@pytest.mark.parametrize("wal", [False, True], ids=["file", "file and .wal"])
def test_links_create_refuses_another_programs_file_and_leaves_its_bytes(
    runner: CliRunner, tmp_path: Path, wal: bool
) -> None:
    other = _other(tmp_path / "shop.duckdb", wal=wal)
    before = _hashes(tmp_path)
    args = ["links", "create", "--page", "acmebakery", "--ref", "door", "--channel", "qr",
            "--out", str(tmp_path / "codes"), "--db", str(other)]  # fmt: skip
    assert _one_error_line(runner.invoke(cli, args)) == _said(other)
    assert _hashes(tmp_path) == before  # the folder of --out it made is gone too
    with duckdb.connect(str(other), read_only=True) as con:
        assert con.execute("SHOW TABLES").fetchall() == [("customers",), ("orders",)]


@pytest.mark.parametrize(
    "command",
    [["pages", "set", "1122334455", "--name", "Acme"], ["pull", "logs", "http://127.0.0.1:9/x"]],
    ids=["pages set", "pull logs"],
)
def test_other_writers_refuse_another_programs_file(
    runner: CliRunner, tmp_path: Path, command: list[str]
) -> None:
    other = _other(tmp_path / "shop.duckdb", wal=False)
    before = _hashes(tmp_path)
    assert _one_error_line(runner.invoke(cli, [*command, "--db", str(other)])) == _said(other)
    assert _hashes(tmp_path) == before


def test_a_view_in_a_schema_of_its_own_and_many_tables_are_named_so(tmp_path: Path) -> None:
    """A file holding only a view in a schema the user made is another program's as well."""
    path = tmp_path / "views.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE SCHEMA sales; CREATE VIEW sales.totals AS SELECT 1 AS n")
    with pytest.raises(DatabaseError, match=r"\(no events table\): it holds sales\.totals; "):
        db.connect(path)
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE TABLE a (x INT); CREATE TABLE b (x INT); CREATE TABLE c (x INT)")
    with pytest.raises(DatabaseError, match=r"it holds a, b, c and 1 more; refscope writes"):
        db.connect(path)


@pytest.mark.parametrize(
    ("made", "holds"),
    [
        ("CREATE SEQUENCE order_ids", "sequence order_ids"),
        ("CREATE MACRO add_tax(x) AS x * 1.2", "macro add_tax"),
        ("CREATE SCHEMA sales; CREATE MACRO sales.latest() AS TABLE SELECT 1 AS n; "
         "CREATE SEQUENCE sales.ids; CREATE TYPE mood AS ENUM ('ok'); CREATE MACRO a(x) AS x",
         "macro a, macro sales.latest, sequence sales.ids and 1 more"),
    ],
    ids=["sequence", "macro", "macros, a sequence and a type"],
)  # fmt: skip
@pytest.mark.parametrize("command", ["pages set", "ingest"])
def test_a_file_of_sequences_or_macros_alone_is_another_programs_too(
    runner: CliRunner, tmp_path: Path, log_dir: Path, made: str, holds: str, command: str
) -> None:
    """No table or view, so check_refscope found nothing and the writer added refscope's
    tables beside the other program's sequences and macros."""
    folder = tmp_path / "theirs"
    folder.mkdir()
    other = folder / "ids.duckdb"
    with duckdb.connect(str(other)) as con:
        con.execute(made)
    before = _hashes(folder)
    args = {"pages set": ["pages", "set", "1122334455", "--name", "Acme"],
            "ingest": ["ingest", str(_log(log_dir))]}[command]  # fmt: skip
    assert _one_error_line(runner.invoke(cli, [*args, "--db", str(other)])) == (
        f"Error: {other} is not a refscope database (no events table): it holds {holds}; "
        "refscope writes only into its own database or a new file: give another --db (or "
        "REFSCOPE_DB), or the path of a new file"
    )
    assert _hashes(folder) == before


def test_a_new_an_empty_and_a_refscope_database_with_tables_of_its_own_open(
    tmp_path: Path,
) -> None:
    """A missing file and a DuckDB file with no table get the schema; a refscope database an
    analyst added a table and a view to opens as before."""
    empty = tmp_path / "empty.duckdb"
    duckdb.connect(str(empty)).close()
    for path in (tmp_path / "new.duckdb", empty):
        db.connect(path).close()
        with duckdb.connect(str(path), read_only=True) as con:
            assert con.execute("SELECT count(*) FROM events").fetchone() == (0,)
    with duckdb.connect(str(empty)) as con:
        con.execute("CREATE TABLE notes (x INT); CREATE VIEW ids AS SELECT psid FROM contacts")
    db.connect(empty).close()


def test_a_file_whose_events_table_clashes_keeps_its_wal_unfolded(
    runner: CliRunner, tmp_path: Path
) -> None:
    """check_columns refused the file and the schema was rolled back, but closing the writer's
    connection folded the .wal another program left into the file: its bytes changed."""
    other = tmp_path / "analytics.duckdb"
    with duckdb.connect(str(other)) as con:
        con.execute("CREATE TABLE events (x INTEGER)")
    con = duckdb.connect(str(other))
    con.execute("PRAGMA disable_checkpoint_on_shutdown")
    con.execute("INSERT INTO events VALUES (7)")
    con.close()
    before = _hashes(tmp_path)
    assert sorted(before) == ["analytics.duckdb", "analytics.duckdb.wal"]
    args = ["pages", "set", "1122334455", "--name", "Acme", "--db", str(other)]
    assert "has no column event_key" in _one_error_line(runner.invoke(cli, args))
    assert _hashes(tmp_path) == before


@pytest.mark.parametrize("since", [[], ["--since", "2026-11-23"]], ids=["default", "--since"])
def test_pull_ads_refuses_another_programs_file_before_meta_is_asked(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, graph, since: list[str]
) -> None:
    """The database was opened after Meta's answers: asked for the account's time zone first,
    and with --since given, after every page was pulled (then refused, the pull lost)."""
    monkeypatch.setenv("REFSCOPE_META_TOKEN", TOKEN)
    graph.rows = days(2)
    other = _other(tmp_path / "shop.duckdb", wal=False)
    before = _hashes(tmp_path)
    args = ["pull", "ads", "--account", ACCOUNT, "--base-url", graph.base, *since,
            "--until", "2026-11-24", "--db", str(other)]  # fmt: skip
    assert _one_error_line(runner.invoke(cli, args)) == _said(other)
    assert graph.requests == []
    assert _hashes(tmp_path) == before


def _theirs(folder: Path, kind: str) -> Path:
    """A file already there under rebuild's --out: another program's, or a refscope database."""
    folder.mkdir()
    if kind == "text file":
        path = folder / "notes.duckdb"
        path.write_text("keep me\n")
        return path
    if kind == "refscope database":
        path = folder / "refscope.duckdb"
        db.connect(path).close()
        return path
    return _other(folder / "shop.duckdb", wal=kind == "DuckDB file and .wal")


@pytest.mark.parametrize(
    "kind", ["DuckDB file", "DuckDB file and .wal", "text file", "refscope database"]
)
def test_rebuild_out_refuses_a_file_already_there_and_leaves_its_bytes(
    runner: CliRunner, old: Path, tmp_path: Path, kind: str
) -> None:
    """A rebuild writes a new file: whatever is already there under --out, another program's
    DuckDB file (its .wal too), any other file or a refscope database, is refused before
    anything is opened or written, and keeps its bytes; so does the database to rebuild."""
    out = _theirs(tmp_path / "theirs", kind)
    before, old_bytes = _hashes(out.parent), old.read_bytes()
    args = ["rebuild", "--db", str(old), "--out", str(out)]
    assert _one_error_line(runner.invoke(cli, args)) == (
        f"Error: {out}: already there; --out names a file that does not exist yet (a rebuild "
        "overwrites nothing)"
    )
    assert _hashes(out.parent) == before
    assert old.read_bytes() == old_bytes
