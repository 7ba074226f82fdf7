"""One lake, one database. A sync deletes the partitions its database does not hold: a second
database pointed at the lake of a first erased the first one's data, and the first, at its next
run, the second's. A lake now names the database that writes it (an id kept in the database,
carried over by `refscope rebuild`), and another database's sync is refused before anything is
written or deleted. The same database moved, copied or rebuilt is no other."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ingest import db, lake, pipeline
from ingest.errors import LakeError
from tests.ingest.lake_setup import days_log, lake_files, lake_views
from tests.ingest.rebuild_setup import run_rebuild


def _events_in_lake(lake_dir: Path) -> int:
    with lake_views(lake_dir) as con:
        (n,) = con.execute("SELECT count(*) FROM events").fetchone() or (0,)
    return int(n)


@pytest.fixture
def first(tmp_path: Path) -> tuple[Path, Path]:
    """A database whose ingest wrote a lake of its 3 events: the database and the lake."""
    db_file, lake_dir = tmp_path / "a" / "refscope.duckdb", tmp_path / "lake"
    pipeline.run([str(days_log(tmp_path / "a", 0))], db_file, lake_dir=lake_dir)
    assert _events_in_lake(lake_dir) == 3
    return db_file, lake_dir


def test_another_database_is_refused_the_lake_and_nothing_in_it_is_deleted(
    first: tuple[Path, Path], tmp_path: Path
) -> None:
    _, lake_dir = first
    before = lake_files(lake_dir)
    other = tmp_path / "b" / "refscope.duckdb"
    with pytest.raises(LakeError) as caught:
        pipeline.run([str(days_log(tmp_path / "b", 10))], other, lake_dir=lake_dir)
    message = str(caught.value)
    assert str(lake_dir) in message and "another database" in message, message
    assert "nothing" in message and lake.MANIFEST in message and "\n" not in message
    assert lake_files(lake_dir) == before  # not one file written, deleted or changed
    assert _events_in_lake(lake_dir) == 3
    con = db.connect(other, read_only=True)
    try:  # the database keeps its run
        assert con.execute("SELECT count(*) FROM events").fetchone() == (3,)
    finally:
        con.close()
    # Said again at a run with nothing new, not taken for a lake in line.
    with pytest.raises(LakeError):
        pipeline.run([], other, lake_dir=lake_dir)
    assert lake_files(lake_dir) == before
    # As the refusal says: its manifest deleted, the lake is this database's from now on.
    (lake_dir / lake.MANIFEST).unlink()
    res = pipeline.run([], other, lake_dir=lake_dir)
    assert res.lake is not None and res.lake.written > 0
    assert _events_in_lake(lake_dir) == 3
    with pytest.raises(LakeError):  # and the first database is the other one now
        pipeline.run([], first[0], lake_dir=lake_dir)


def test_the_same_database_moved_copied_or_rebuilt_keeps_its_lake(
    first: tuple[Path, Path], tmp_path: Path
) -> None:
    db_file, lake_dir = first
    moved = tmp_path / "moved" / "refscope.duckdb"
    moved.parent.mkdir()
    shutil.move(db_file, moved)
    res = pipeline.run([str(days_log(tmp_path / "more", 5))], moved, lake_dir=lake_dir)
    assert res.lake is not None and res.lake.written > 0 and res.lake.removed == 0
    assert _events_in_lake(lake_dir) == 6
    copied = tmp_path / "copy.duckdb"
    shutil.copy(moved, copied)
    res = pipeline.run([], copied, lake_dir=lake_dir)
    assert res.lake is not None and _events_in_lake(lake_dir) == 6
    rebuilt = tmp_path / "rebuilt.duckdb"
    out = run_rebuild("--db", str(moved), "--out", str(rebuilt),
                      str(tmp_path / "a"), str(tmp_path / "more"))  # fmt: skip
    assert out.exit_code == 0, out.output
    res = pipeline.run([], rebuilt, lake_dir=lake_dir)
    assert res.lake is not None and _events_in_lake(lake_dir) == 6
