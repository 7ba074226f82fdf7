"""The Parquet lake: partitions, idempotent syncs, a second engine reading the same counts."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pytest

from dashboard import queries
from dashboard.filters import Filters
from ingest import db, lake, links, pipeline, retention
from ingest.demo import write_demo
from ingest.privacy import Privacy
from tests import factories as f
from tests.conftest import Query

DEMO_END = dt.date(2026, 11, 24)


@pytest.fixture(scope="module")
def demo_logs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    write_demo(out, days=60, end=DEMO_END, seed=11, scale=0.3)
    return out


def counts_by_channel_arrow(lake_dir: Path) -> dict[str, int]:
    """The second engine: pyarrow.dataset over the hive-partitioned folder."""
    table = ds.dataset(lake_dir / "contacts", format="parquet", partitioning="hive").to_table(
        columns=["channel"]
    )
    counts = pc.value_counts(table["channel"]).to_pylist()
    return {c["values"]: c["counts"] for c in counts}


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


def test_lake_equals_the_database_read_by_another_engine(
    demo_logs: Path, db_path: Path, tmp_path: Path, query: Query
) -> None:
    lake_dir = tmp_path / "lake"
    result = pipeline.run([str(demo_logs)], db_path, lake_dir=lake_dir)
    assert result.lake is not None and result.lake.written > 0
    expected = dict(query("SELECT channel, count(*) FROM contacts GROUP BY ALL"))
    assert counts_by_channel_arrow(lake_dir) == expected
    events = ds.dataset(lake_dir / "events", format="parquet", partitioning="hive")
    assert events.count_rows() == query.scalar("SELECT count(*) FROM events")
    part = next((lake_dir / "events").glob("page_id=*/date=*/*.parquet"))
    assert part.parent.name.startswith("date=") and part.parent.parent.name.startswith("page_id=")
    meta = ds.dataset(part, format="parquet").files
    assert meta and part.read_bytes()[:4] == b"PAR1"


def test_a_rerun_rewrites_nothing_and_changes_rewrite_only_their_partitions(
    demo_logs: Path, db_path: Path, tmp_path: Path, query: Query
) -> None:
    lake_dir = tmp_path / "lake"
    pipeline.run([str(demo_logs)], db_path, lake_dir=lake_dir)
    before = {p: p.stat().st_mtime_ns for p in lake_dir.rglob("*.parquet")}
    again = pipeline.run([str(demo_logs)], db_path, lake_dir=lake_dir)
    assert again.lake is None or (again.lake.written, again.lake.removed) == (0, 0)
    assert {
        p: p.stat().st_mtime_ns for p in lake_dir.rglob("*.parquet") if p.parent != lake_dir
    } == {p: t for p, t in before.items() if p.parent != lake_dir}
    con = db.connect(db_path)
    try:
        assert lake.sync(con, lake_dir).written == 0  # an explicit sync agrees: nothing changed
    finally:
        con.close()
    psid, page = query("SELECT psid, page_id FROM contacts ORDER BY psid LIMIT 1")[0]
    parts_of_person = query.scalar(
        "SELECT count(DISTINCT (page_id, CAST(ts AS DATE))) FROM events WHERE psid = ?", psid
    )
    con = db.connect(db_path)
    try:
        retention.forget(con, psid, None, Privacy())
        synced = lake.sync(con, lake_dir)
    finally:
        con.close()
    assert 0 < synced.written <= parts_of_person * 3 + 1  # events, touches, contacts
    assert counts_by_channel_arrow(lake_dir) == dict(
        query("SELECT channel, count(*) FROM contacts GROUP BY ALL")
    )
    events = ds.dataset(lake_dir / "events", format="parquet", partitioning="hive").to_table(
        columns=["psid"]
    )
    assert psid not in set(events["psid"].to_pylist())
    assert page


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


def test_pruned_partitions_disappear(
    demo_logs: Path, db_path: Path, tmp_path: Path, query: Query
) -> None:
    lake_dir = tmp_path / "lake"
    pipeline.run([str(demo_logs)], db_path, lake_dir=lake_dir)
    con = db.connect(db_path)
    try:
        retention.prune(con, dt.date(2026, 11, 1))
        synced = lake.sync(con, lake_dir)
    finally:
        con.close()
    assert synced.removed > 0
    dates = {p.name for p in (lake_dir / "events").glob("page_id=*/date=*")}
    assert min(dates) >= "date=2026-11-01"


def test_the_dashboard_queries_read_the_lake_like_the_database(
    demo_logs: Path, db_path: Path, tmp_path: Path
) -> None:
    lake_dir = tmp_path / "lake"
    pipeline.run([str(demo_logs)], db_path, lake_dir=lake_dir)
    f = Filters(dt.date(2026, 10, 1), dt.date(2026, 11, 24))
    on_lake = db.connect_memory()
    lake.attach_views(on_lake, lake_dir)
    on_db = db.connect(db_path, read_only=True)
    try:
        for con in (on_lake, on_db):
            queries.install_macros(con)
        for name in ("kpis", "channel_totals", "new_contacts_by_day", "refs", "cohorts"):
            a: Any = getattr(queries, name)(on_lake, f)
            b: Any = getattr(queries, name)(on_db, f)
            assert len(b) > 0, name
            pd.testing.assert_frame_equal(a, b, check_dtype=False, obj=name)
    finally:
        on_lake.close()
        on_db.close()


def test_the_app_runs_on_the_lake_without_a_database(
    demo_logs: Path, db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from streamlit.testing.v1 import AppTest

    lake_dir = tmp_path / "lake"
    pipeline.run([str(demo_logs)], db_path, lake_dir=lake_dir)
    app = str(Path(__file__).resolve().parents[2] / "dashboard" / "streamlit_app.py")
    values = {}
    for name, env in (("db", {"REFSCOPE_DB": str(db_path)}),
                      ("lake", {"REFSCOPE_LAKE": str(lake_dir),
                                "REFSCOPE_DB": str(tmp_path / "absent.duckdb")})):  # fmt: skip
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        at = AppTest.from_file(app, default_timeout=60).run()
        assert not at.exception, name
        values[name] = [m.value for m in at.metric]
        monkeypatch.delenv("REFSCOPE_LAKE", raising=False)
    assert values["lake"] == values["db"] and values["db"]


def test_dashboard_refuses_a_folder_without_a_lake(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from ingest.cli import cli

    started: list[object] = []  # were it to start, Streamlit would replace the test's process
    monkeypatch.setattr("os.execve", lambda *a: started.append(a))
    res = CliRunner().invoke(cli, ["dashboard", "--lake", str(tmp_path)])
    assert res.exit_code != 0 and "no lake here" in res.output
    assert started == []


def test_forget_and_prune_bring_the_lake_in_line_at_once(
    demo_logs: Path, db_path: Path, tmp_path: Path, query: Query, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from ingest.cli import cli

    lake_dir = tmp_path / "lake"
    runner = CliRunner()
    pipeline.run([str(demo_logs)], db_path, lake_dir=lake_dir)
    psid = query.scalar("SELECT psid FROM contacts ORDER BY psid LIMIT 1")
    res = runner.invoke(cli, ["forget", psid, "--lake", str(lake_dir), "--db", str(db_path)])
    assert res.exit_code == 0 and "lake: " in res.output, res.output
    events = ds.dataset(lake_dir / "events", format="parquet", partitioning="hive")
    assert psid not in set(events.to_table(columns=["psid"])["psid"].to_pylist())
    monkeypatch.setenv("REFSCOPE_LAKE", str(lake_dir))  # as set for the whole deployment
    # The logs' last 10 days stay, whenever the test runs (their end is a fixed date).
    age = (dt.datetime.now(dt.UTC).date() - (DEMO_END - dt.timedelta(days=10))).days
    res = runner.invoke(cli, ["prune", "--older-than", f"{age}d", "--db", str(db_path)])
    assert res.exit_code == 0 and "removed" in res.output, res.output
    assert query.scalar("SELECT count(*) FROM contacts") > 0
    newest = query.scalar("SELECT max(ts) FROM events")
    dates = {p.name for p in (lake_dir / "events").glob("page_id=*/date=*")}
    oldest_kept = query.scalar("SELECT CAST(min(ts) AS DATE) FROM events")
    assert newest is None or min(dates) == f"date={oldest_kept}"
    assert counts_by_channel_arrow(lake_dir) == dict(
        query("SELECT channel, count(*) FROM contacts GROUP BY ALL")
    )
    res = runner.invoke(cli, ["forget", "123", "--lake", str(tmp_path / "none"),
                              "--db", str(db_path)])  # fmt: skip
    assert res.exit_code == 0 and "no lake at" in res.stderr


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
