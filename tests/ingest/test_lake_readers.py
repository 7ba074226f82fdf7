"""The lake read while a sync rewrites it: a reader sees each partition's old file or its new
one, whole, never a partition missing or a file gone between its listing and its opening."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import duckdb

from ingest import db, lake, pipeline
from tests import factories as f

DAYS = 20
PER_DAY = 3
READ_SECONDS = 4  # the least time the reads go on beside the syncs
SYNCS, READS = 3, 50  # the least syncs and reads they go on for
DEADLINE_SECONDS = 600


def _lake_of_known_rows(db_path: Path, tmp_path: Path) -> tuple[Path, int]:
    """Events on several pages and days, ingested with a lake: its folder and the event count."""
    rows = [
        f.delivery(f.message(psid=f"70{page}{n}", ts=f.T0 + day * f.DAY + n), page_id=page_id)
        for day in range(DAYS)
        for page, page_id in enumerate((f.PAGE_ID, f.OTHER_PAGE_ID))
        for n in range(PER_DAY)
    ]
    log = f.write_ndjson(tmp_path / "logs" / "a.ndjson", rows)
    lake_dir = tmp_path / "lake"
    pipeline.run([str(log)], db_path, lake_dir=lake_dir)
    return lake_dir, DAYS * 2 * PER_DAY


def test_a_reader_never_sees_a_partition_missing_while_a_sync_rewrites_it(
    db_path: Path, tmp_path: Path
) -> None:
    """One thread rewrites every partition again and again (its manifest removed before each
    sync: a lake of another format, all of it changed); another counts the events through
    DuckDB's hive-partitioned read_parquet. Every count is the whole, and no read fails."""
    lake_dir, total = _lake_of_known_rows(db_path, tmp_path)
    events = lake_dir / "events" / "*" / "*" / "*.parquet"
    sql = f"SELECT count(*) FROM read_parquet('{events}', hive_partitioning = true)"
    assert duckdb.connect().execute(sql).fetchone() == (total,)
    stop = threading.Event()
    syncs: list[int] = []
    failures: list[BaseException] = []

    def syncing() -> None:
        con = db.connect(db_path)
        try:
            while not stop.is_set():
                (lake_dir / lake.MANIFEST).unlink()
                syncs.append(lake.sync(con, lake_dir).written)
        except BaseException as exc:  # the test fails on it below, not silently in the thread
            failures.append(exc)
        finally:
            con.close()

    writer = threading.Thread(target=syncing)
    writer.start()
    counts: list[int] = []
    errors: list[str] = []
    reader = duckdb.connect()
    # Reads for READ_SECONDS at least, and on until the lake was synced SYNCS times and READS
    # reads were made: a loaded machine may need longer for those than an idle one.
    least, deadline = time.monotonic() + READ_SECONDS, time.monotonic() + DEADLINE_SECONDS
    try:
        while not failures and (
            time.monotonic() < least or len(syncs) < SYNCS or len(counts) + len(errors) < READS
        ):
            assert time.monotonic() < deadline, (len(syncs), len(counts))
            try:
                row = reader.execute(sql).fetchone()
                counts.append(row[0] if row else -1)
            except duckdb.Error as exc:
                errors.append(str(exc))
    finally:
        stop.set()
        writer.join(timeout=60)
        reader.close()
    assert not failures, failures
    assert len(syncs) >= SYNCS and min(syncs) >= DAYS * 2  # each sync rewrote the partitions
    low = [c for c in counts if c < total]
    assert (errors[:3], len(low), len(counts)) == ([], 0, len(counts)), low[:10]
    assert len(counts) >= READS
