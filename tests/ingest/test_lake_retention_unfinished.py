"""`forget --lake` and `prune --lake` on a lake whose first sync stopped before its manifest
recorded a partition (a full volume, a kill; the manifest names only the lake's owner, or, by an
earlier version, is not there): its partitions' files are there, and other engines read them,
so the person's rows must leave them too."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.dataset as ds
import pytest
from click.testing import CliRunner

from ingest import db, lake, lake_owner
from ingest.cli import cli
from ingest.errors import LakeError
from tests.ingest.rewrite_setup import OTHER, PSID, person_db

FULL = Path("/dev/full")  # every write to it fails with ENOSPC, as on a full volume


@pytest.fixture(params=["owner-only", "none"], ids=["manifest-of-its-owner", "no-manifest"])
def unfinished_lake(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> tuple[Path, Path]:
    """person_db's database, and a lake whose first sync ran out of space at a small table's
    file: the partitioned tables' files are in place, the manifest naming its owner only (or,
    as an earlier version's first sync left it, no manifest)."""
    if not FULL.exists():
        pytest.skip("no /dev/full here")
    db_file, lake_dir = person_db(tmp_path), tmp_path / "lake"
    sql_path = lake._sql_path

    def full_at_contact_days(p: Path) -> str:
        return str(FULL) if p.name.startswith(".contact_days.") else sql_path(p)

    with monkeypatch.context() as m:
        m.setattr(lake, "_sql_path", full_at_contact_days)
        con = db.connect(db_file)
        try:
            with pytest.raises(LakeError):
                lake.sync(con, lake_dir)
        finally:
            con.close()
    assert set(json.loads((lake_dir / lake.MANIFEST).read_text())) == {lake_owner.KEY}
    if request.param == "none":
        (lake_dir / lake.MANIFEST).unlink()
    assert PSID in _lake_psids(lake_dir)  # another engine reads the person's rows there
    return db_file, lake_dir


def _lake_psids(lake_dir: Path) -> set[str]:
    """The psids another engine (pyarrow.dataset) reads in the lake's events and contacts."""
    found: set[str] = set()
    for table in ("events", "contacts"):
        if not any((lake_dir / table).glob("*/*/*.parquet")):
            continue  # every partition gone
        data = ds.dataset(lake_dir / table, format="parquet", partitioning="hive")
        found |= set(data.to_table(columns=["psid"])["psid"].to_pylist())
    return found


def test_forget_removes_the_person_from_a_lake_whose_first_sync_stopped(
    unfinished_lake: tuple[Path, Path], runner: CliRunner
) -> None:
    db_file, lake_dir = unfinished_lake
    res = runner.invoke(cli, ["forget", PSID, "--db", str(db_file), "--lake", str(lake_dir)])
    assert res.exit_code == 0, res.output
    assert "nothing to bring in line" not in res.output
    assert _lake_psids(lake_dir) == {OTHER}
    assert (lake_dir / lake.MANIFEST).exists()


def test_prune_removes_the_old_rows_from_a_lake_whose_first_sync_stopped(
    unfinished_lake: tuple[Path, Path], runner: CliRunner
) -> None:
    db_file, lake_dir = unfinished_lake
    args = ["prune", "--older-than", "1d", "--db", str(db_file), "--lake", str(lake_dir)]
    res = runner.invoke(cli, args)
    assert res.exit_code == 0, res.output
    assert "nothing to bring in line" not in res.output
    assert _lake_psids(lake_dir) == set()  # the log is of 2023: all of it pruned


def test_a_folder_with_no_lake_in_it_is_still_said_and_left_alone(
    tmp_path: Path, runner: CliRunner
) -> None:
    db_file, lake_dir = person_db(tmp_path), tmp_path / "lake"
    lake_dir.mkdir()
    res = runner.invoke(cli, ["forget", PSID, "--db", str(db_file), "--lake", str(lake_dir)])
    assert res.exit_code == 0, res.output
    assert "nothing to bring in line" in res.output
    assert list(lake_dir.iterdir()) == []
