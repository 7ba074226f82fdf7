"""`refscope pull logs` and `pull ads` bring the Parquet lake in line, as `ingest --lake` does:
a deployment that only pulls (no receiver, so no `refscope ingest`) with REFSCOPE_LAKE set kept a
lake that never saw what was pulled, though both store into the database the lake copies."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import duckdb
import pytest
from click.testing import CliRunner, Result

from ingest import lake
from ingest.cli import cli
from tests.conftest import Query
from tests.ingest.fetch_server import lines
from tests.ingest.graph_setup import ACCOUNT, TODAY, TOKEN, FakeGraph, days
from tests.ingest.memory_setup import SHARE, Limits, shown

pytestmark = pytest.mark.usefixtures("fast_retries")


def lake_count(lake_dir: Path, table: str) -> int:
    """Rows of a lake's table, read by DuckDB as the README shows."""
    where = lake_dir / table
    source = f"read_parquet('{where}/*/*/*.parquet', hive_partitioning = true)"
    if not where.is_dir():
        source = f"read_parquet('{lake_dir / (table + '.parquet')}')"
    con = duckdb.connect()
    try:
        row = con.execute(f"SELECT count(*) FROM {source}").fetchone()
    finally:
        con.close()
    return int(row[0]) if row else 0


def test_pull_logs_with_refscope_lake_set_brings_the_lake_in_line(
    site: Any, db_path: Path, tmp_path: Path, query: Query, monkeypatch: pytest.MonkeyPatch
) -> None:
    s, base = site
    lake_dir = tmp_path / "lake"
    monkeypatch.setenv("REFSCOPE_LAKE", str(lake_dir))  # set for the whole deployment
    s.files["/log.ndjson"] = lines(0, 20)
    res = CliRunner().invoke(cli, ["pull", "logs", base + "/log.ndjson", "--db", str(db_path)])
    assert res.exit_code == 0, res.output
    assert "lake: " in res.output, res.output
    assert lake_count(lake_dir, "events") == query.scalar("SELECT count(*) FROM events") == 20
    s.files["/log.ndjson"] += lines(20, 5)
    res = CliRunner().invoke(cli, ["pull", "logs", base + "/log.ndjson", "--db", str(db_path),
                                   "--lake", str(lake_dir)])  # fmt: skip
    assert res.exit_code == 0, res.output
    assert lake_count(lake_dir, "events") == 25
    assert lake_count(lake_dir, "contacts") == query.scalar("SELECT count(*) FROM contacts")


def test_pull_ads_with_lake_brings_the_lake_in_line(
    graph: FakeGraph, db_path: Path, tmp_path: Path, query: Query,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    lake_dir = tmp_path / "lake"
    graph.rows = days(3)
    monkeypatch.setenv("REFSCOPE_META_TOKEN", TOKEN)
    since = str(TODAY - dt.timedelta(days=2))
    res = CliRunner().invoke(cli, [
        "pull", "ads", "--account", ACCOUNT, "--base-url", graph.base, "--since", since,
        "--until", str(TODAY), "--db", str(db_path), "--lake", str(lake_dir),
    ])  # fmt: skip
    assert res.exit_code == 0, res.output
    assert "lake: " in res.output, res.output
    stored = query.scalar("SELECT count(*) FROM ad_insights")
    assert stored == 6 and lake_count(lake_dir, "ad_insights") == stored
    assert lake_count(lake_dir, "ad_pulls") == query.scalar("SELECT count(*) FROM ad_pulls") > 0


def _pull_a_day(
    graph: FakeGraph, db_path: Path, lake_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> Result:
    """`pull ads --lake` of one day's insights."""
    monkeypatch.setenv("REFSCOPE_META_TOKEN", TOKEN)
    graph.rows = days(1)
    return CliRunner().invoke(cli, [
        "pull", "ads", "--account", ACCOUNT, "--base-url", graph.base, "--since", str(TODAY),
        "--until", str(TODAY), "--db", str(db_path), "--lake", str(lake_dir),
    ])  # fmt: skip


def test_pull_ads_syncs_the_lake_held_to_the_ingest_memory(
    graph: FakeGraph, db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The lake sync after `pull ads` copies every table to Parquet: it ran at DuckDB's default
    (80% of the machine's memory), where `ingest --lake` holds it to REFSCOPE_INGEST_MEMORY."""
    limits = Limits()
    monkeypatch.setattr(lake, "sync", limits.spy("sync", lake.sync, 1))
    monkeypatch.setenv("REFSCOPE_INGEST_MEMORY", SHARE)
    res = _pull_a_day(graph, db_path, tmp_path / "lake", monkeypatch)
    assert res.exit_code == 0, res.output
    assert limits.seen == {"sync": {shown(SHARE)}}


def test_pull_ads_with_lake_refuses_a_share_too_small_before_it_asks_meta(
    graph: FakeGraph, db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its lake sync is held to REFSCOPE_INGEST_MEMORY, which refused a share below the least
    only once the pull had stored its rows; it is refused before Meta is asked now."""
    monkeypatch.setenv("REFSCOPE_INGEST_MEMORY", "64MB")
    res = _pull_a_day(graph, db_path, tmp_path / "lake", monkeypatch)
    assert res.exit_code != 0
    assert "REFSCOPE_INGEST_MEMORY='64MB': give at least 128MB" in res.output, res.output
    assert graph.requests == []
    assert not (tmp_path / "lake").exists()
    con = duckdb.connect(str(db_path), read_only=True)  # the fixture's: nothing stored into it
    try:
        assert con.execute("SELECT count(*) FROM ad_insights").fetchone() == (0,)
    finally:
        con.close()


def _psids(lake_dir: Path) -> set[str]:
    """The psids of the lake's events, read by DuckDB as the README shows."""
    con = duckdb.connect()
    try:
        rows = con.execute(
            f"SELECT DISTINCT psid FROM read_parquet('{lake_dir}/events/*/*/*.parquet', "
            "hive_partitioning = true)"
        ).fetchall()
    finally:
        con.close()
    return {r[0] for r in rows}


def test_pull_logs_with_nothing_new_brings_a_stale_lake_in_line_as_ingest_does(
    site: Any, db_path: Path, tmp_path: Path, query: Query, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A `forget` without --lake leaves the lake for the next run: `ingest --lake` brings it in
    line though it reads no new line (lake.is_stale); a pull with nothing new left it behind,
    the forgotten person's rows in it, until the server had new bytes."""
    s, base = site
    lake_dir = tmp_path / "lake"
    monkeypatch.delenv("REFSCOPE_LAKE", raising=False)
    s.files["/log.ndjson"] = lines(0, 20)
    pull = ["pull", "logs", base + "/log.ndjson", "--db", str(db_path), "--lake", str(lake_dir)]
    assert CliRunner().invoke(cli, pull).exit_code == 0
    assert "9003" in _psids(lake_dir)
    res = CliRunner().invoke(cli, ["forget", "9003", "--db", str(db_path)])  # no --lake
    assert res.exit_code == 0, res.output
    res = CliRunner().invoke(cli, pull)  # the server has nothing new
    assert res.exit_code == 0, res.output
    assert "nothing new at" in res.output and "lake: " in res.output, res.output
    assert "9003" not in _psids(lake_dir)
    assert lake_count(lake_dir, "events") == query.scalar("SELECT count(*) FROM events") == 19
    res = CliRunner().invoke(cli, pull)  # in line now: nothing to sync, nothing said of it
    assert res.exit_code == 0, res.output
    assert "nothing new at" in res.output and "lake: " not in res.output, res.output


def test_pull_ads_brings_a_stale_lake_in_line(
    graph: FakeGraph, site: Any, db_path: Path, tmp_path: Path, query: Query,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """A lake left behind by a `forget` without --lake is brought in line by the next pull of
    ads, whatever it stores, as by `ingest --lake`."""
    s, base = site
    lake_dir = tmp_path / "lake"
    monkeypatch.delenv("REFSCOPE_LAKE", raising=False)
    monkeypatch.setenv("REFSCOPE_META_TOKEN", TOKEN)
    s.files["/log.ndjson"] = lines(0, 5)
    logs = ["pull", "logs", base + "/log.ndjson", "--db", str(db_path), "--lake", str(lake_dir)]
    assert CliRunner().invoke(cli, logs).exit_code == 0
    assert CliRunner().invoke(cli, ["forget", "9001", "--db", str(db_path)]).exit_code == 0
    assert "9001" in _psids(lake_dir)
    graph.rows = days(1)
    res = CliRunner().invoke(cli, [
        "pull", "ads", "--account", ACCOUNT, "--base-url", graph.base, "--since", str(TODAY),
        "--until", str(TODAY), "--db", str(db_path), "--lake", str(lake_dir),
    ])  # fmt: skip
    assert res.exit_code == 0, res.output
    assert "lake: " in res.output, res.output
    assert "9001" not in _psids(lake_dir)
    assert lake_count(lake_dir, "events") == query.scalar("SELECT count(*) FROM events") == 4
