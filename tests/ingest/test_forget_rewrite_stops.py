"""`refscope forget` writing the file anew, stopped (Ctrl-C, SIGTERM), killed, out of room or
waiting for another process: the database stays as the forget left it and usable, and no partial
copy stays beside it once a forget has run to its end."""

from __future__ import annotations

import shutil
import signal
import time
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

import tests.factories as f
from ingest import db, pipeline
from ingest.cli import cli
from tests.conftest import Query
from tests.ingest.cli_setup import _held, _refscope
from tests.ingest.rewrite_setup import PSID, SAID, leftovers, person_log
from tests.ingest.test_cli_follow import LOCK_WAIT
from tests.ingest.test_cli_limits import _on_a_small_disk


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database whose copy takes long enough to be stopped part-way (about a second), with
    PSID's words in it."""
    folder = tmp_path_factory.mktemp("big")
    log = folder / "big.ndjson"
    log.write_text("\n".join(f.big_log_lines(200_000)) + "\n")
    db_file = folder / "refscope.duckdb"
    pipeline.run([str(person_log(folder / "logs")), str(log)], db_file, keep_text=True)
    return db_file


def copies(big: Path, tmp_path: Path) -> tuple[Path, Path]:
    """The big database, and its twin forgotten in place (--no-rewrite): what a forget whose
    rewrite did not finish leaves."""
    db_file, twin = tmp_path / "refscope.duckdb", tmp_path / "twin" / "refscope.duckdb"
    twin.parent.mkdir()
    shutil.copy(big, db_file)
    shutil.copy(big, twin)
    done = CliRunner().invoke(cli, ["forget", PSID, "--db", str(twin), "--no-rewrite"])
    assert done.exit_code == 0, done.output
    return db_file, twin


def same_rows(a: Path, b: Path) -> None:
    """Every table of a holds the rows of b's and no other (forgotten_at apart: the moment of
    each forget), compared in DuckDB: the big tables are too long to compare in Python."""
    con = duckdb.connect()
    try:
        con.execute(f"ATTACH '{a}' AS a (READ_ONLY); ATTACH '{b}' AS b (READ_ONLY)")
        tables = con.execute("SELECT database_name, table_name FROM duckdb_tables() "
                             "ORDER BY ALL").fetchall()  # fmt: skip
        names = [t for d, t in tables if d == "a"]
        assert names == [t for d, t in tables if d == "b"] and "events" in names
        for t in names:
            cols = "* EXCLUDE (forgotten_at)" if t == "forgotten" else "*"
            for x, y in (("a", "b"), ("b", "a")):
                sql = (f"SELECT count(*) FROM (SELECT {cols} FROM {x}.{t} "
                       f"EXCEPT ALL SELECT {cols} FROM {y}.{t})")  # fmt: skip
                differ = con.execute(sql).fetchone()
                assert differ == (0,), (t, x, y)
    finally:
        con.close()


def stop_while_copying(db_file: Path, cwd: Path, sig: int) -> tuple[int, str]:
    """`forget PSID` sent sig once its partial copy is there; its exit code and output."""
    proc = _refscope("forget", PSID, "--db", str(db_file), cwd=cwd)
    work = db.partial(db_file)
    deadline = time.monotonic() + 120
    while proc.poll() is None and not work.exists() and time.monotonic() < deadline:
        time.sleep(0.005)
    assert proc.poll() is None, "the forget ended before its copy was stopped"
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=120)
    return proc.returncode, out + err


@pytest.mark.parametrize(
    ("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)], ids=["ctrl-c", "sigterm"]
)
def test_a_stop_during_the_rewrite_leaves_the_database_as_the_forget_left_it(
    big: Path, tmp_path: Path, sig: int, code: int
) -> None:
    """SIGTERM (a service manager's stop) killed forget with its partial copy left beside the
    database, holding everyone's bytes; now either stop removes it and says what is safe."""
    db_file, twin = copies(big, tmp_path)
    returncode, text = stop_while_copying(db_file, tmp_path, sig)
    assert returncode == code, text
    assert "Traceback" not in text
    assert (f"stopped: {db_file} was not rewritten (it is as it was after the forget): the "
            "removed rows are gone from every query, but their bytes may remain in "
            f"{db_file} until a rewrite") in " ".join(text.split())  # fmt: skip
    assert leftovers(db_file) == []
    same_rows(db_file, twin)


def test_a_kill_during_the_rewrite_leaves_the_database_intact_and_usable(
    big: Path, tmp_path: Path
) -> None:
    """SIGKILL (a power cut): nothing runs to clean up. The database is whole, opens and takes
    an ingest; the partial copy left (everyone's bytes) goes with the next forget's rewrite."""
    db_file, twin = copies(big, tmp_path)
    returncode, _ = stop_while_copying(db_file, tmp_path, signal.SIGKILL)
    assert returncode == -signal.SIGKILL
    assert db.partial(db_file).exists()
    same_rows(db_file, twin)
    more = f.write_ndjson(tmp_path / "more.ndjson", [f.delivery(f.message("hi", psid="u9"))])
    assert pipeline.run([str(more)], db_file).events_added == 1
    # Run again, as a stop says: nothing more to remove, and now the bytes go, the copy too.
    again = CliRunner().invoke(cli, ["forget", PSID, "--db", str(db_file)])
    assert again.exit_code == 0, again.output
    assert leftovers(db_file) == []
    assert SAID.encode() not in db_file.read_bytes()
    assert Query(db_file).scalar("SELECT count(*) FROM events WHERE psid = 'u9'") == 1


def test_a_disk_without_room_for_the_copy_is_one_error_line_and_changes_nothing(
    big: Path, tmp_path: Path
) -> None:
    """The copy needs as much room as the data: a full disk (a file size limit stands in for
    one) was DuckDB's traceback; now one line, the database as it was, no partial file."""
    db_file, twin = copies(big, tmp_path)
    done = CliRunner().invoke(cli, ["forget", PSID, "--db", str(db_file), "--no-rewrite"])
    assert done.exit_code == 0, done.output
    held = db_file.read_bytes()
    proc = _on_a_small_disk(1 << 20, tmp_path, "forget", PSID, "--db", str(db_file))
    assert proc.returncode == 1, (proc.stdout, proc.stderr)
    errors = proc.stderr.strip().splitlines()
    assert len(errors) == 1, errors
    said = f"Error: the forget is committed, but {db_file} was not rewritten: cannot write "
    assert errors[0].startswith(f"{said}{db.partial(db_file)}: "), errors
    assert "File too large" in errors[0] and "until a rewrite" in errors[0], errors
    assert db_file.read_bytes() == held and leftovers(db_file) == []
    same_rows(db_file, twin)


def test_a_forget_waits_for_another_process_then_rewrites(tmp_path: Path) -> None:
    """Another process holding the file: forget waits as every write command does, then
    removes the person and writes the file anew."""
    db_file = tmp_path / "refscope.duckdb"
    pipeline.run([str(person_log(tmp_path / "logs"))], db_file, keep_text=True)
    with _held(db_file, read_only=True):
        proc = _refscope("forget", PSID, "--db", str(db_file), cwd=tmp_path)
        assert proc.stderr is not None
        first = proc.stderr.readline()  # a second in, while the file is still held
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, (out, first + err)
    assert f"{db_file}: {LOCK_WAIT}; waiting up to" in first
    assert f"rewrote {db_file}" in out
    assert SAID.encode() not in db_file.read_bytes() and leftovers(db_file) == []


def test_a_write_waiting_for_the_rewrite_lands_in_the_new_file(big: Path, tmp_path: Path) -> None:
    """A command started while the copy is written waits for the database, then writes the
    file renamed into its place, not the old one it replaces (its write would be lost)."""
    db_file, _ = copies(big, tmp_path)
    proc = _refscope("forget", PSID, "--db", str(db_file), cwd=tmp_path)
    while proc.poll() is None and not db.partial(db_file).exists():
        time.sleep(0.005)
    assert proc.poll() is None, "the forget ended before its copy was written"
    named = _refscope("pages", "set", "1122334455", "--name", "Acme", "--db", str(db_file),
                      cwd=tmp_path)  # fmt: skip
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, (out, err)
    assert f"rewrote {db_file}" in out
    named_out, named_err = named.communicate(timeout=120)
    assert named.returncode == 0, (named_out, named_err)
    assert Query(db_file)("SELECT page_id, name FROM pages") == [("1122334455", "Acme")]
    assert SAID.encode() not in db_file.read_bytes() and leftovers(db_file) == []
