"""`refscope pull logs` and `pull ads` bring the Parquet lake in line, as `ingest --lake` does:
a deployment that only pulls (no receiver, so no `refscope ingest`) with REFSCOPE_LAKE set kept a
lake that never saw what was pulled, though both store into the database the lake copies."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import duckdb
import pytest
from click.testing import CliRunner

from ingest.cli import cli
from tests.conftest import Query
from tests.ingest.fetch_server import lines
from tests.ingest.graph_setup import ACCOUNT, TODAY, TOKEN, FakeGraph, days

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
