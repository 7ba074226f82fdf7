"""`report --lake` while `ingest --lake` keeps the lake in step: a sync replaces Parquet files
by rename, and DuckDB, which reads a file's footer and its pages apart, may read the footer of
one and the pages of the next ("TProtocolException: Invalid data"; seen once in 40 reports run
beside 30 syncs). The report reads the lake again instead of failing with that traceback, as
`dashboard --lake` does (test_lake_while_syncing.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import openpyxl
import pytest

from dashboard import queries
from dashboard.cli import cli
from ingest import lake
from tests.dashboard.conftest import TORN, lake_of, torn_once

ARGS = ["--from", "2026-10-28", "--to", "2026-11-24", "--format", "xlsx"]


def _values(path: Path) -> list[list[tuple[Any, ...]]]:
    """Every sheet's cells but the time the report was made."""
    book = openpyxl.load_workbook(path)
    return [[r for r in ws.iter_rows(values_only=True) if r[0] != "Generated (UTC)"]
            for ws in book]  # fmt: skip


@pytest.mark.parametrize("query", ["newest_day", "refs", "returns_by_channel"])
def test_a_report_read_while_a_sync_replaced_a_file_is_read_again(
    runner, report_db, tmp_path, monkeypatch, query
):
    lake_dir = lake_of(report_db, tmp_path / "lake")
    on_db = tmp_path / "db.xlsx"
    result = runner.invoke(cli, ["report", "--db", str(report_db), *ARGS, "--out", str(on_db)])
    assert result.exit_code == 0, result.output
    monkeypatch.setattr(queries, query, torn_once(getattr(queries, query)))
    on_lake = tmp_path / "lake.xlsx"
    result = runner.invoke(cli, ["report", "--lake", str(lake_dir), *ARGS, "--out", str(on_lake)])
    assert result.exit_code == 0, (result.output, result.exception)
    assert _values(on_lake) == _values(on_db)


def test_views_made_while_a_sync_replaced_a_file_are_made_again(
    runner, report_db, tmp_path, monkeypatch
):
    """Making a view reads the footer of a file of its table: that read may be torn too."""
    lake_dir = lake_of(report_db, tmp_path / "lake")
    monkeypatch.setattr(lake, "attach_views", torn_once(lake.attach_views))
    out = tmp_path / "lake.xlsx"
    result = runner.invoke(cli, ["report", "--lake", str(lake_dir), *ARGS, "--out", str(out)])
    assert result.exit_code == 0, (result.output, result.exception)
    assert out.exists()


def test_a_database_that_fails_so_is_not_read_again(runner, report_db, tmp_path, monkeypatch):
    """On a database file no sync replaces files: such an error is no race, and is not hidden."""
    monkeypatch.setattr(queries, "refs", torn_once(queries.refs))
    out = tmp_path / "db.xlsx"
    result = runner.invoke(cli, ["report", "--db", str(report_db), *ARGS, "--out", str(out)])
    assert isinstance(result.exception, duckdb.Error) and TORN in str(result.exception)
    assert not out.exists()


def test_a_lake_that_fails_every_time_fails_after_three_reads(
    runner, report_db, tmp_path, monkeypatch
):
    lake_dir = lake_of(report_db, tmp_path / "lake")
    calls = []

    def always(con: duckdb.DuckDBPyConnection, *args: Any) -> Any:
        calls.append(1)
        raise duckdb.Error(TORN)

    monkeypatch.setattr(queries, "refs", always)
    result = runner.invoke(cli, ["report", "--lake", str(lake_dir), *ARGS,
                                 "--out", str(tmp_path / "x.xlsx")])  # fmt: skip
    assert isinstance(result.exception, duckdb.Error) and len(calls) == 3


@pytest.mark.parametrize("query", ["newest_day", "refs"])
def test_a_database_read_that_failed_with_an_io_error_is_read_again(
    runner, report_db, tmp_path, monkeypatch, query
):
    """An IOException on a database file (a writer took it between reads) is read again, as
    the dashboard's views are: `report` from cron beside `ingest --follow` wrote no report."""
    first = tmp_path / "first.xlsx"
    result = runner.invoke(cli, ["report", "--db", str(report_db), *ARGS, "--out", str(first)])
    assert result.exit_code == 0, result.output
    real = getattr(queries, query)
    monkeypatch.setattr(queries, query, torn_once(real, duckdb.IOException))
    again = tmp_path / "again.xlsx"
    result = runner.invoke(cli, ["report", "--db", str(report_db), *ARGS, "--out", str(again)])
    assert result.exit_code == 0, (result.output, result.exception)
    assert _values(again) == _values(first)
