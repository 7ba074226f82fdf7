"""A partition deleted from the lake by hand (or by a disk tool) is written again."""

from __future__ import annotations

import shutil
from pathlib import Path

import pyarrow.dataset as ds

from ingest import db, lake, pipeline
from tests import factories as f
from tests.conftest import Query
from tests.ingest.lake_setup import lake_views


def _lake_of_three_days(db_path: Path, tmp_path: Path) -> tuple[Path, Path]:
    log = f.write_ndjson(tmp_path / "logs" / "a.ndjson", [
        f.delivery(f.message(psid=f"700{n}", ts=f.T0 + n * f.DAY)) for n in range(3)
    ])  # fmt: skip
    lake_dir = tmp_path / "lake"
    pipeline.run([str(log)], db_path, lake_dir=lake_dir)
    return log, lake_dir


def _rows(lake_dir: Path, table: str) -> int:
    return ds.dataset(lake_dir / table, format="parquet", partitioning="hive").count_rows()


def test_a_sync_writes_again_the_partitions_gone_from_disk(
    db_path: Path, tmp_path: Path, query: Query
) -> None:
    """The manifest said them current, so a sync rewrote nothing and they stayed missing."""
    _, lake_dir = _lake_of_three_days(db_path, tmp_path)
    folder = sorted((lake_dir / "events").glob("page_id=*/date=*"))[1]
    shutil.rmtree(folder)
    file = next((lake_dir / "contacts").glob("page_id=*/date=*/*.parquet"))
    file.unlink()  # its folder kept, empty
    assert _rows(lake_dir, "events") == 2
    con = db.connect(db_path)
    try:
        synced = lake.sync(con, lake_dir)
        assert (synced.written, synced.removed) == (2, 0)
        assert lake.sync(con, lake_dir).written == 0  # mended: the next finds nothing to do
    finally:
        con.close()
    assert folder.is_dir() and file.exists()
    assert _rows(lake_dir, "events") == query.scalar("SELECT count(*) FROM events") == 3
    assert _rows(lake_dir, "contacts") == query.scalar("SELECT count(*) FROM contacts")


def test_an_ingest_with_nothing_new_mends_a_partition_folder_deleted_by_hand(
    db_path: Path, tmp_path: Path
) -> None:
    log, lake_dir = _lake_of_three_days(db_path, tmp_path)
    folder = sorted((lake_dir / "contacts").glob("page_id=*/date=*"))[0]
    shutil.rmtree(folder)
    assert lake.is_stale(lake_dir, db_path)
    again = pipeline.run([str(log)], db_path, lake_dir=lake_dir)
    assert again.files_read == 0 and again.lake is not None and again.lake.written == 1
    assert folder.is_dir() and _rows(lake_dir, "contacts") == 3
    assert not lake.is_stale(lake_dir, db_path)


def test_partitions_of_odd_page_ids_are_found_on_disk(db_path: Path, tmp_path: Path) -> None:
    """Folder names are percent-encoded page ids: each found as the manifest names it, or every
    run would take the lake for stale and every sync rewrite them."""
    pages = ("a/b", "100%", "x=y z", "ä")
    log = f.write_ndjson(tmp_path / "logs" / "a.ndjson", [
        f.delivery(f.message(psid=f"700{n}", ts=f.T0), page_id=page) for n, page in enumerate(pages)
    ])  # fmt: skip
    lake_dir = tmp_path / "lake"
    first = pipeline.run([str(log)], db_path, lake_dir=lake_dir)
    assert first.lake is not None and first.lake.written >= len(pages)
    assert not lake.is_stale(lake_dir, db_path)
    con = db.connect(db_path)
    try:
        assert lake.sync(con, lake_dir).written == 0
    finally:
        con.close()


def test_a_lake_in_a_folder_named_with_glob_characters_is_read_as_named(
    db_path: Path, tmp_path: Path, query: Query
) -> None:
    """DuckDB globs the paths read_parquet is given: `lake [1]` was read as `lake 1` (another
    lake beside it, silently) or found empty ("No files found"), so dashboard and report
    --lake failed on a folder with `[` in its name."""
    log = f.write_ndjson(tmp_path / "logs" / "a.ndjson", [
        f.delivery(f.message(psid=f"700{n}", ts=f.T0 + n * f.DAY)) for n in range(3)
    ])  # fmt: skip
    lake_dir = tmp_path / "lake [1]?*"
    pipeline.run([str(log)], db_path, lake_dir=lake_dir)
    with lake_views(lake_dir) as con:
        for table in ("events", "contacts", "ingest_runs"):
            got = con.execute(f"SELECT count(*) FROM {table}").fetchone()
            assert got == (query.scalar(f"SELECT count(*) FROM {table}"),), table


def test_an_ingest_with_nothing_new_mends_a_small_tables_file_deleted_by_hand(
    db_path: Path, tmp_path: Path
) -> None:
    """Only partition folders were checked: with contact_days.parquet gone, the dashboard on the
    lake read the table as empty (no retention) until something changed in the database."""
    log, lake_dir = _lake_of_three_days(db_path, tmp_path)
    (lake_dir / "contact_days.parquet").unlink()
    assert lake.is_stale(lake_dir, db_path)
    again = pipeline.run([str(log)], db_path, lake_dir=lake_dir)
    assert again.files_read == 0 and again.lake is not None
    assert (lake_dir / "contact_days.parquet").is_file()
    reader = db.connect_memory()
    try:
        lake.attach_views(reader, lake_dir)
        assert reader.execute("SELECT count(*) FROM contact_days").fetchone() == (3,)
    finally:
        reader.close()
    assert not lake.is_stale(lake_dir, db_path)
