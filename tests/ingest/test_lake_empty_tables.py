"""A partitioned table with no rows in the lake (no click logged yet, or every row pruned): its
folder is there, holding no file, in a new lake as in a pruned one, and the README says what
another engine makes of it (an external table over the folder: empty; a glob of its files:
none found)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from ingest import pipeline
from tests import factories as f
from tests.ingest.test_lake_plain_duckdb import README, readme_query


def test_a_table_without_rows_has_its_folder_and_no_file(tmp_path: Path) -> None:
    """A lake whose logs held no click had no `clicks` folder at all, where the one a prune
    emptied kept it: Trino's external table over `DIR/clicks` had no location to read."""
    log = f.write_ndjson(tmp_path / "logs" / "a.ndjson", [f.delivery(f.message("hi"))])
    lake_dir = tmp_path / "lake"

    pipeline.run([str(log)], tmp_path / "r.duckdb", lake_dir=lake_dir)

    assert (lake_dir / "clicks").is_dir()
    assert [p for p in (lake_dir / "clicks").rglob("*") if p.is_file()] == []
    assert list((lake_dir / "events").glob("*/*/*.parquet"))  # the tables with rows, as ever
    con = duckdb.connect()
    try:
        with pytest.raises(duckdb.IOException, match="No files found"):
            con.execute(readme_query(lake_dir, "clicks"))
    finally:
        con.close()
    scaling = " ".join(README.split("## Scaling: beyond one machine", 1)[1].split())
    assert "A table without rows (no click logged yet, or every row pruned) keeps its folder" in (
        scaling
    )
    assert "`No files found`" in scaling
