"""`dashboard --lake` while `ingest --lake` keeps the lake in step: a sync replaces Parquet files
by rename, and DuckDB, which reads a file's footer and its pages apart, may read the footer of
one and the pages of the next ("TProtocolException: Invalid data", "don't know what type"). The
app reads again instead of showing that error."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest

from dashboard import queries, store
from tests.dashboard.conftest import TORN, lake_of, torn_once


@pytest.fixture
def on_lake(small_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The small database's lake, read as `refscope dashboard --lake` reads it."""
    lake_dir = lake_of(small_db, tmp_path / "lake")
    monkeypatch.setenv("REFSCOPE_LAKE", str(lake_dir))
    monkeypatch.setenv("REFSCOPE_DB", str(tmp_path / "absent.duckdb"))
    return lake_dir


def test_a_view_read_while_a_sync_replaced_its_file_is_read_again(on_lake, monkeypatch):
    monkeypatch.setattr(queries, "torn_page_list", torn_once(queries.page_list), raising=False)
    df = store.fetch("torn_page_list")
    assert list(df["label"]) == ["Acme Bakery"]


def test_the_state_read_while_a_sync_replaced_its_file_is_read_again(on_lake, monkeypatch):
    monkeypatch.setattr(queries, "data_version", torn_once(queries.data_version))
    store._status.clear()
    store._LAST.clear()
    run_id, contacts = store.status()
    assert run_id == 1 and contacts > 0


def test_a_database_that_fails_so_is_not_read_again(small_db, monkeypatch):
    """On a database file, no sync replaces files: such an error is no race, and is shown."""
    monkeypatch.setenv("REFSCOPE_DB", str(small_db))
    monkeypatch.delenv("REFSCOPE_LAKE", raising=False)
    monkeypatch.setattr(queries, "torn_on_db", torn_once(queries.page_list), raising=False)
    with pytest.raises(duckdb.Error, match=TORN):
        store.fetch("torn_on_db")
    assert isinstance(store.fetch("torn_on_db"), pd.DataFrame)  # no failure cached


def test_a_database_read_that_failed_with_an_io_error_is_read_again(small_db, monkeypatch):
    monkeypatch.setenv("REFSCOPE_DB", str(small_db))
    monkeypatch.delenv("REFSCOPE_LAKE", raising=False)
    torn = torn_once(queries.page_list, duckdb.IOException)
    monkeypatch.setattr(queries, "io_torn_on_db", torn, raising=False)
    assert list(store.fetch("io_torn_on_db")["label"]) == ["Acme Bakery"]
