"""`refscope forget` writes the database file anew, so that no byte of the person stays in it
(DuckDB only marks deleted rows), and `prune --rewrite` does the same; the new file holds every
object and row the old one held but the removed ones, with its mode."""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from ingest import db
from ingest.cli import cli
from tests.conftest import Query
from tests.ingest.rewrite_setup import OTHER, PSID, REJECTED, SAID, THEIRS, leftovers, person_db

# An analyst's own objects in the file, which the copy must carry as they are.
OWN = """
CREATE TABLE notes (id INTEGER PRIMARY KEY, note VARCHAR NOT NULL CHECK (note <> ''));
INSERT INTO notes VALUES (1, 'first');
CREATE SEQUENCE note_ids START 40;
SELECT nextval('note_ids');
CREATE VIEW contact_ids AS SELECT psid FROM contacts;
CREATE MACRO twice(x) AS x * 2;
"""
CATALOG = """
SELECT 'table', table_name, sql FROM duckdb_tables()
UNION ALL SELECT 'constraint', table_name, constraint_text FROM duckdb_constraints()
UNION ALL SELECT 'column', table_name || '.' || column_name, data_type || is_nullable
          || coalesce(column_default, '') FROM duckdb_columns()
UNION ALL SELECT 'view', view_name, sql FROM duckdb_views() WHERE NOT internal
UNION ALL SELECT 'sequence', sequence_name, last_value::VARCHAR FROM duckdb_sequences()
UNION ALL SELECT 'macro', function_name, macro_definition FROM duckdb_functions()
          WHERE NOT internal
ORDER BY ALL
"""


def forget(runner: CliRunner, db_file: Path, *more: str) -> str:
    res = runner.invoke(cli, ["forget", PSID, "--db", str(db_file), *more])
    assert res.exit_code == 0, res.output
    return " ".join(res.output.split())


@pytest.mark.parametrize("keep_text", [True, False], ids=["keep-text", "no-text"])
def test_after_forget_no_byte_of_the_person_is_left_in_the_file(
    tmp_path: Path, runner: CliRunner, keep_text: bool
) -> None:
    """Their messages' text (--keep-text), their rejected line's words and their PSID stayed
    readable in the file (grep -a found them) after forget removed every row holding them."""
    db_file = person_db(tmp_path, keep_text=keep_text)
    out = forget(runner, db_file)
    held = db_file.read_bytes()
    for gone in (SAID, REJECTED, PSID):
        assert gone.encode() not in held, gone
    assert OTHER.encode() in held and (THEIRS.encode() in held) == keep_text
    assert f"rewrote {db_file} (" in out and "the removed rows' bytes are gone from it" in out
    assert leftovers(db_file) == []  # no write-ahead log, no partial copy
    assert Query(db_file)("SELECT DISTINCT psid FROM events") == [(OTHER,)]


def test_the_new_file_holds_every_object_and_row_but_the_persons(
    tmp_path: Path, runner: CliRunner
) -> None:
    """Compared with the same forget left in place (--no-rewrite): the same tables, columns,
    types, constraints, views, sequences, macros and rows; compared with the file before the
    forget, every row but the person's."""
    db_file = person_db(tmp_path)
    con = db.connect(db_file)
    con.execute(OWN)
    con.close()
    before = Query(db_file).tables()
    twin = shutil.copy(db_file, tmp_path / "twin.duckdb")
    forget(runner, db_file)
    forget(runner, twin, "--no-rewrite")
    assert PSID.encode() in twin.read_bytes()  # the old behaviour, where the bytes stay
    after, left = Query(db_file).tables(), Query(twin).tables()
    assert Query(db_file)(CATALOG) == Query(twin)(CATALOG)
    when = [r[:2] for r in after.pop("forgotten")], [r[:2] for r in left.pop("forgotten")]
    assert when[0] == when[1] and len(when[0]) == 1  # forgotten_at: the moment of each forget
    assert after == left
    for table, rows in before.items():
        if table not in ("forgotten", "rejects"):  # a rejected line is blanked, not removed
            assert after[table] == [r for r in rows if PSID not in r], table
    assert len(after["events"]) < len(before["events"])
    assert Query(db_file)("SELECT * FROM contact_ids") == [(OTHER,)]
    con = duckdb.connect(str(db_file))
    try:
        assert con.execute("SELECT nextval('note_ids'), twice(21)").fetchone() == (41, 42)
        with pytest.raises(duckdb.ConstraintException):
            con.execute("INSERT INTO notes VALUES (1, 'again')")  # the primary key holds
        with pytest.raises(duckdb.ConstraintException):
            con.execute("INSERT INTO notes VALUES (2, '')")  # and the check
    finally:
        con.close()


def test_the_new_file_keeps_the_mode_of_the_old_and_a_link_stays_a_link(
    tmp_path: Path, runner: CliRunner
) -> None:
    """A file made private (chmod 600, or 640 for a team's group) got the umask's mode again
    from the copy; a --db that is a symbolic link would have been replaced by the file."""
    real = person_db(tmp_path)
    real.chmod(0o600)
    link = tmp_path / "link.duckdb"
    link.symlink_to(real)
    umask = os.umask(0o022)  # DuckDB makes the copy 644 under it
    try:
        forget(runner, link)
    finally:
        os.umask(umask)
    assert link.is_symlink() and link.resolve() == real
    assert stat.S_IMODE(real.stat().st_mode) == 0o600, oct(real.stat().st_mode)
    assert PSID.encode() not in real.read_bytes()
    assert leftovers(real) == [] and leftovers(link) == []


def test_no_rewrite_leaves_the_bytes_and_says_so(tmp_path: Path, runner: CliRunner) -> None:
    db_file = person_db(tmp_path)
    inode = db_file.stat().st_ino
    res = runner.invoke(cli, ["forget", PSID, "--db", str(db_file), "--no-rewrite"])
    assert res.exit_code == 0, res.output
    assert db_file.stat().st_ino == inode and SAID.encode() in db_file.read_bytes()
    assert "rewrote" not in res.output
    assert " ".join(res.stderr.split()) == (
        f"not rewritten (--no-rewrite): the removed rows' bytes may remain in {db_file} until "
        "a rewrite (`refscope forget` again with the same id, without --no-rewrite)"
    )
    assert Query(db_file).scalar("SELECT count(*) FROM events WHERE psid = ?", PSID) == 0
    # forget again, as that says: nothing more to remove, and the file is written anew
    out = forget(runner, db_file)
    assert "already forgotten on every page" in out and f"rewrote {db_file}" in out
    assert SAID.encode() not in db_file.read_bytes()


def test_prune_rewrites_the_file_only_when_asked(tmp_path: Path, runner: CliRunner) -> None:
    """A routine prune leaves the file in place (fast); --rewrite takes the pruned rows' bytes
    out of it too."""
    db_file = person_db(tmp_path)
    inode = db_file.stat().st_ino
    res = runner.invoke(cli, ["prune", "--older-than", "1d", "--db", str(db_file)])
    assert res.exit_code == 0, res.output
    assert "rewrote" not in res.output and db_file.stat().st_ino == inode
    assert SAID.encode() in db_file.read_bytes()  # pruned (the log is of 2023), still there
    assert Query(db_file).scalar("SELECT count(*) FROM events") == 0
    res = runner.invoke(cli, ["prune", "--older-than", "1d", "--rewrite", "--db", str(db_file)])
    assert res.exit_code == 0, res.output
    assert f"rewrote {db_file} (" in " ".join(res.output.split())
    held = db_file.read_bytes()
    for gone in (SAID, THEIRS):  # the rejected line stays: its run started today
        assert gone.encode() not in held, gone
    assert leftovers(db_file) == []
