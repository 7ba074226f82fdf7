"""The Parquet lake of the demo logs: partitions, idempotent syncs, a second engine reading the
same counts, prune and forget, and the dashboard reading it. How a sync writes it, stops half
way or goes stale: test_lake_syncs.py."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.dataset as ds
import pytest

from dashboard import queries
from dashboard.filters import Filters
from ingest import db, lake, pipeline, retention
from ingest.demo import write_demo
from ingest.privacy import Privacy
from tests.conftest import Query
from tests.ingest.lake_setup import counts_by_channel_arrow

DEMO_END = dt.date(2026, 11, 24)


@pytest.fixture(scope="module")
def demo_logs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    write_demo(out, days=60, end=DEMO_END, seed=11, scale=0.3)
    return out


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
    assert newest is not None and min(dates) == f"date={oldest_kept}"
    assert counts_by_channel_arrow(lake_dir) == dict(
        query("SELECT channel, count(*) FROM contacts GROUP BY ALL")
    )
    res = runner.invoke(cli, ["forget", "123", "--lake", str(tmp_path / "none"),
                              "--db", str(db_path)])  # fmt: skip
    assert res.exit_code == 0 and "no lake at" in res.stderr
