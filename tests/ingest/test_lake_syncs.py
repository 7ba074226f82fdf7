"""How a sync writes the Parquet lake: a rewritten partition never lies empty, a relabel reaches
it, a change still in the WAL makes it stale, what a sync that died or was killed mid-way left
goes, and keys are written as their digits."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow.dataset as ds
import pytest

from ingest import db, lake, links, pipeline, retention
from ingest.privacy import Privacy
from tests import factories as f
from tests.conftest import Query
from tests.ingest.lake_setup import counts_by_channel_arrow


def _three_flyer_contacts_in_a_lake(db_path: Path, tmp_path: Path) -> Path:
    """Three contacts of the ref flyer9 (m.me links until it is registered as a QR code),
    ingested with a lake: the lake's folder."""
    log = f.write_ndjson(tmp_path / "logs" / "a.ndjson", [
        f.delivery(f.postback(referral=f.referral_obj("flyer9"), psid=f"u{i}", ts=f.T0 + i))
        for i in range(3)
    ])  # fmt: skip
    lake_dir = tmp_path / "lake"
    pipeline.run([str(log)], db_path, lake_dir=lake_dir)
    assert counts_by_channel_arrow(lake_dir) == {"m_me_link": 3}
    return lake_dir


def test_a_rewritten_partition_never_lies_empty_while_its_old_files_go(
    db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A reader of the lake (Spark, Trino, `dashboard --lake`) may list a partition while a sync
    rewrites it: its files are renamed over, never its folder deleted in place (its rows were
    missing while its old files went). test_lake_readers reads during syncs."""
    lake_dir = _three_flyer_contacts_in_a_lake(db_path, tmp_path)
    live = set(lake_dir.glob("*/page_id=*/date=*"))
    deleted: list[Path] = []
    rmtree = lake.shutil.rmtree

    def recorded(path: Any, *args: Any, **kwargs: Any) -> None:
        deleted.append(Path(path))
        rmtree(path, *args, **kwargs)

    monkeypatch.setattr(lake.shutil, "rmtree", recorded)
    con = db.connect(db_path)
    try:
        links.register(con, [links.make_link(f.PAGE_ID, "flyer9", channel="qr")])
        assert lake.sync(con, lake_dir).written > 0
    finally:
        con.close()
    assert counts_by_channel_arrow(lake_dir) == {"qr_code": 3}  # the partitions were rewritten
    assert deleted and not live.intersection(deleted)
    assert [p.name for p in lake_dir.iterdir() if p.name.startswith(".")] == []


def test_a_qr_code_registered_after_a_sync_relabels_the_lake_too(
    db_path: Path, tmp_path: Path, query: Query
) -> None:
    """A re-label keeps every partition's row count: the sync must still see it and rewrite."""
    lake_dir = _three_flyer_contacts_in_a_lake(db_path, tmp_path)
    con = db.connect(db_path)
    try:
        assert links.register(con, [links.make_link(f.PAGE_ID, "flyer9", "qr")])
        synced = lake.sync(con, lake_dir)
    finally:
        con.close()
    assert synced.written > 0
    assert dict(query("SELECT channel, count(*) FROM contacts GROUP BY ALL")) == {"qr_code": 3}
    assert counts_by_channel_arrow(lake_dir) == {"qr_code": 3}
    touches = ds.dataset(lake_dir / "touches", format="parquet", partitioning="hive").to_table()
    assert set(touches["channel"].to_pylist()) == {"qr_code"}


_REGISTER_AND_DIE = """
import os, sys
from pathlib import Path
from ingest import db, links

con = db.connect(Path(sys.argv[1]))
links.register(con, [links.make_link(sys.argv[2], "flyer9", "qr")])
os._exit(0)  # committed, never closed: the change is in the .wal only, not checkpointed
"""


def test_a_change_still_in_the_wal_makes_the_lake_stale(
    db_path: Path, tmp_path: Path, query: Query
) -> None:
    """A command killed after its commit leaves its change in the database's `.wal`, the file
    itself as old as the lake: the next ingest (no new lines) must still bring the lake in line."""
    import subprocess
    import sys

    lake_dir = _three_flyer_contacts_in_a_lake(db_path, tmp_path)
    proc = subprocess.run(
        [sys.executable, "-c", _REGISTER_AND_DIE, str(db_path), f.PAGE_ID],
        cwd=Path(pipeline.__file__).parent.parent,
        capture_output=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr.decode()
    wal = db_path.with_name(db_path.name + ".wal")
    synced_at = (lake_dir / lake.MANIFEST).stat().st_mtime_ns
    assert wal.exists() and db_path.stat().st_mtime_ns <= synced_at  # the case under test
    result = pipeline.run([str(tmp_path / "logs" / "a.ndjson")], db_path, lake_dir=lake_dir)
    assert result.files_read == 0 and result.lake is not None and result.lake.written > 0
    assert counts_by_channel_arrow(lake_dir) == {"qr_code": 3}
    assert dict(query("SELECT channel, count(*) FROM contacts GROUP BY ALL")) == {"qr_code": 3}


def test_a_change_reaches_the_lake_though_the_lakes_clock_runs_ahead(
    db_path: Path, tmp_path: Path, query: Query
) -> None:
    """A lake on another file system (NFS, a mounted bucket) has its manifest dated by that
    system's clock: one ahead of this machine's made every change to the database within the
    gap older than the last sync, and the next ingest (no new lines) took the lake for current.
    A run after the one that brought it in line syncs nothing again."""
    import os
    import time

    lake_dir = _three_flyer_contacts_in_a_lake(db_path, tmp_path)
    ahead = time.time_ns() + 600 * 10**9  # the lake's file server ten minutes ahead
    os.utime(lake_dir / lake.MANIFEST, ns=(ahead, ahead))
    con = db.connect(db_path)
    try:
        links.register(con, [links.make_link(f.PAGE_ID, "flyer9", "qr")])
    finally:
        con.close()
    assert db_path.stat().st_mtime_ns < ahead  # the case under test
    log = str(tmp_path / "logs" / "a.ndjson")
    result = pipeline.run([log], db_path, lake_dir=lake_dir)
    assert result.files_read == 0 and result.lake is not None and result.lake.written > 0
    assert dict(query("SELECT channel, count(*) FROM contacts GROUP BY ALL")) == {"qr_code": 3}
    assert counts_by_channel_arrow(lake_dir) == {"qr_code": 3}
    assert pipeline.run([log], db_path, lake_dir=lake_dir).lake is None


def test_a_partition_left_by_a_sync_that_died_goes_when_its_rows_are_gone(
    db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A sync killed after swapping in a new partition, before its manifest: that partition
    is on disk but not in the manifest. Its rows forgotten, the next run removes it."""
    from tests import factories as f

    logs, lake_dir = tmp_path / "logs", tmp_path / "lake"
    first = f.write_ndjson(logs / "a.ndjson", [f.delivery(f.message(psid="7001", ts=f.T0))])
    pipeline.run([str(first)], db_path, lake_dir=lake_dir)
    later = f.T0 + 3 * f.DAY
    second = f.write_ndjson(logs / "b.ndjson", [f.delivery(f.message(psid="7002", ts=later))])
    replace = lake.os.replace

    def dies_after_a_swap(src: Any, dst: Any) -> None:
        replace(src, dst)
        if ".staging-" in str(src):
            raise KeyboardInterrupt  # killed here: the partition is in, the manifest is not

    monkeypatch.setattr(lake.os, "replace", dies_after_a_swap)
    with pytest.raises(KeyboardInterrupt):
        pipeline.run([str(second)], db_path, lake_dir=lake_dir)
    monkeypatch.setattr(lake.os, "replace", replace)
    day = f"date={f.utc(later).date()}"
    assert list((lake_dir / "events").glob(f"page_id=*/{day}"))  # written, not in the manifest
    con = db.connect(db_path)
    try:
        retention.forget(con, "7002", None, Privacy())
    finally:
        con.close()
    pipeline.run([str(first), str(second)], db_path, lake_dir=lake_dir)
    assert not list((lake_dir / "events").glob(f"page_id=*/{day}"))
    events = ds.dataset(lake_dir / "events", format="parquet", partitioning="hive")
    assert set(events.to_table(columns=["psid"])["psid"].to_pylist()) == {"7001"}


_KILLED_MID_SYNC = """
import os, signal, sys
from pathlib import Path
from ingest import lake, pipeline

replace = lake.os.replace

def killed_after_a_swap(src, dst):
    replace(src, dst)
    if ".staging-" in str(src):
        os.kill(os.getpid(), signal.SIGKILL)  # no cleanup runs, as when the machine dies

lake.os.replace = killed_after_a_swap
pipeline.run([sys.argv[1]], Path(sys.argv[2]), lake_dir=Path(sys.argv[3]))
"""


def test_a_sync_killed_mid_way_leaves_no_rows_that_forget_cannot_reach(
    db_path: Path, tmp_path: Path
) -> None:
    """SIGKILLed between two partition swaps, a sync leaves its staging folder behind, holding
    people's rows: the next sync removes it, so a forget reaches every copy of them."""
    import signal
    import subprocess
    import sys

    from tests import factories as f

    logs, lake_dir = tmp_path / "logs", tmp_path / "lake"
    days = [f.T0 + n * f.DAY for n in range(4)]
    log = f.write_ndjson(
        logs / "a.ndjson", [f.delivery(f.message(psid="7001", ts=t)) for t in days]
    )
    proc = subprocess.run(
        [sys.executable, "-c", _KILLED_MID_SYNC, str(log), str(db_path), str(lake_dir)],
        cwd=Path(pipeline.__file__).parent.parent,
        capture_output=True,
        timeout=120,
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr.decode()
    assert list(lake_dir.glob(".staging-*/page_id=*/date=*/*.parquet"))  # what the kill left
    con = db.connect(db_path)
    try:
        retention.forget(con, "7001", None, Privacy())
        lake.sync(con, lake_dir)
    finally:
        con.close()
    assert not [p.name for p in lake_dir.iterdir() if p.name.startswith(".")]
    for part in lake_dir.rglob("*.parquet"):
        table = ds.dataset(part, format="parquet").to_table()
        assert "psid" not in table.column_names or "7001" not in table["psid"].to_pylist(), part


def test_a_whole_table_file_left_unfinished_by_a_sync_goes_at_the_next(
    db_path: Path, tmp_path: Path
) -> None:
    """Killed while writing a small table, a sync leaves its `.<table>.parquet.tmp` behind (an
    earlier version's `.<table>.<id>.parquet`), people's rows in it: the next sync deletes it,
    or no forget would reach them."""
    log = f.write_ndjson(tmp_path / "logs" / "a.ndjson", [f.delivery(f.message(psid="7001"))])
    pipeline.run([str(log)], db_path)
    lake_dir = tmp_path / "lake"
    con = db.connect(db_path)
    try:
        lake.sync(con, lake_dir)
        left = lake_dir / ".contact_days.0123456789abcdef.parquet"
        left.write_bytes((lake_dir / "contact_days.parquet").read_bytes())
        (lake_dir / ".contact_days.parquet.tmp").write_bytes(left.read_bytes())
        assert "7001" in ds.dataset(left, format="parquet").to_table()["psid"].to_pylist()
        retention.forget(con, "7001", None, Privacy())
        lake.sync(con, lake_dir)
    finally:
        con.close()
    assert not left.exists()
    assert [p.name for p in lake_dir.iterdir() if p.name.startswith(".")] == []


def test_keys_reach_the_lake_as_their_digits_without_duckdbs_slow_cast(db_path: Path) -> None:
    """event_key and click_key (UHUGEINT) are written as their decimal digits, worked out by
    db.key_text: DuckDB's own cast took 40 us a key (a first sync of 200k events 12 s, not 1 s).
    """
    con = db.connect(db_path)
    try:
        for table, key in (("events", "event_key"), ("touches", "event_key"),
                           ("clicks", "click_key")):  # fmt: skip
            sql = lake._as_written(con, table)
            assert f'CAST(t."{key}" AS VARCHAR)' not in sql
            assert db.key_text(f't."{key}"') in sql
        big = 2**128 - 10
        row = con.execute(
            f"SELECT {db.key_text('k')} FROM (SELECT CAST(? AS UHUGEINT) AS k)", [str(big)]
        ).fetchone()
        assert row == (str(big),)
    finally:
        con.close()


def test_a_rebuilt_database_moved_into_place_brings_the_lake_in_line(
    db_path: Path, tmp_path: Path, query: Query
) -> None:
    """`mv new.duckdb refscope.duckdb`, as rebuild says, keeps the new file's mtime: older than a
    sync of the old file since (here, of a link registered meanwhile), so the next ingest took
    the lake for current and it kept rows the database no longer had."""
    from click.testing import CliRunner

    from ingest.cli import cli

    lake_dir = _three_flyer_contacts_in_a_lake(db_path, tmp_path)
    new = tmp_path / "new.duckdb"
    res = CliRunner().invoke(cli, ["rebuild", "--db", str(db_path), "--out", str(new)])
    assert res.exit_code == 0, res.output
    con = db.connect(db_path)
    try:
        links.register(con, [links.make_link(f.PAGE_ID, "flyer9", "qr")])
        assert lake.sync(con, lake_dir).written > 0
    finally:
        con.close()
    assert counts_by_channel_arrow(lake_dir) == {"qr_code": 3}
    new.replace(db_path)
    assert db_path.stat().st_mtime_ns < (lake_dir / lake.MANIFEST).stat().st_mtime_ns
    result = pipeline.run([str(tmp_path / "logs" / "a.ndjson")], db_path, lake_dir=lake_dir)
    assert result.files_read == 0 and result.lake is not None and result.lake.written > 0
    assert dict(query("SELECT channel, count(*) FROM contacts GROUP BY ALL")) == {"m_me_link": 3}
    assert counts_by_channel_arrow(lake_dir) == {"m_me_link": 3}


def test_rows_whose_last_column_changed_alike_rewrite_their_partition(
    db_path: Path, tmp_path: Path, query: Query
) -> None:
    """A rebuild gives the events of a second run run id 1: two of them in one partition changed
    their last column alike, their hashes' XOR did not change, and the lake kept run id 2."""
    from click.testing import CliRunner

    from ingest.cli import cli

    logs = tmp_path / "logs"
    f.write_ndjson(logs / "a.ndjson", [f.delivery(f.message(psid="u0", ts=f.T0))])
    lake_dir = tmp_path / "lake"
    pipeline.run([str(logs)], db_path, lake_dir=lake_dir)
    day = f.T0 + 3 * f.DAY
    f.write_ndjson(logs / "b.ndjson", [f.delivery(f.message(psid=f"u{i}", ts=day + i))
                                       for i in (1, 2)])  # fmt: skip
    pipeline.run([str(logs)], db_path, lake_dir=lake_dir)
    new = tmp_path / "new.duckdb"
    res = CliRunner().invoke(cli, ["rebuild", "--db", str(db_path), "--out", str(new)])
    assert res.exit_code == 0, res.output
    new.replace(db_path)
    pipeline.run([str(logs)], db_path, lake_dir=lake_dir)
    events = ds.dataset(lake_dir / "events", format="parquet", partitioning="hive").to_table()
    in_lake = sorted(zip(events["psid"].to_pylist(), events["run_id"].to_pylist(), strict=True))
    assert in_lake == query("SELECT psid, run_id FROM events ORDER BY ALL")
    assert {r for _, r in in_lake} == {1}
