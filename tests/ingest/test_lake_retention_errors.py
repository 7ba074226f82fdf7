"""`forget --lake` and `prune --rewrite --lake` with a lake that cannot be written (a full
volume, a file where a folder goes): the database is still written anew, so that no byte of
the removed rows stays in it, and the lake's error is said after."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from ingest import db, lake
from ingest.cli import cli
from tests.conftest import Query
from tests.ingest.rewrite_setup import OTHER, PSID, SAID, leftovers, person_db


@pytest.fixture
def blocked_lake(tmp_path: Path) -> tuple[Path, Path]:
    """person_db's database, and its lake, where a folder now stands in the place of the file
    of a small table: the next sync cannot write it."""
    db_file, lake_dir = person_db(tmp_path), tmp_path / "lake"
    con = db.connect(db_file)
    try:
        lake.sync(con, lake_dir)
    finally:
        con.close()
    (lake_dir / "prunes.parquet").unlink()
    (lake_dir / "prunes.parquet").mkdir()
    (lake_dir / "prunes.parquet" / "in the way").write_text("")
    return db_file, lake_dir


def _said(output: str) -> str:
    return " ".join(output.split())


def test_forget_rewrites_the_database_when_the_lake_cannot_be_written(
    blocked_lake: tuple[Path, Path], runner: CliRunner
) -> None:
    db_file, lake_dir = blocked_lake
    res = runner.invoke(cli, ["forget", PSID, "--db", str(db_file), "--lake", str(lake_dir)])
    out = _said(res.output)
    assert res.exit_code == 1, out
    assert f"{lake_dir}: the Parquet lake could not be written" in out
    assert f"rewrote {db_file} (" in out
    assert PSID.encode() not in db_file.read_bytes() and SAID.encode() not in db_file.read_bytes()
    assert leftovers(db_file) == []
    assert Query(db_file)("SELECT DISTINCT psid FROM events") == [(OTHER,)]


def test_prune_rewrite_rewrites_the_database_when_the_lake_cannot_be_written(
    blocked_lake: tuple[Path, Path], runner: CliRunner
) -> None:
    db_file, lake_dir = blocked_lake
    args = ["prune", "--older-than", "1d", "--rewrite", "--db", str(db_file)]
    res = runner.invoke(cli, [*args, "--lake", str(lake_dir)])
    out = _said(res.output)
    assert res.exit_code == 1, out
    assert f"{lake_dir}: the Parquet lake could not be written" in out
    assert f"rewrote {db_file} (" in out
    assert SAID.encode() not in db_file.read_bytes()  # pruned: the log is of 2023
    assert leftovers(db_file) == []


def test_the_next_sync_brings_the_lake_in_line_after_all(
    blocked_lake: tuple[Path, Path], runner: CliRunner
) -> None:
    db_file, lake_dir = blocked_lake
    runner.invoke(cli, ["forget", PSID, "--db", str(db_file), "--lake", str(lake_dir)])
    (lake_dir / "prunes.parquet" / "in the way").unlink()
    (lake_dir / "prunes.parquet").rmdir()
    con = db.connect(db_file)
    try:
        assert lake.is_stale(lake_dir, db_file)
        lake.sync(con, lake_dir)
        lake.attach_views(reader := db.connect_memory(), lake_dir)
        assert reader.execute("SELECT DISTINCT psid FROM contacts").fetchall() == [(OTHER,)]
        reader.close()
    finally:
        con.close()
