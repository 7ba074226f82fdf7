"""A file an older refscope wrote lacks the columns added to its tables since (ALTER TABLE in
schema.sql): read-only, before any writer adds them, the dashboard's queries and a report read
it as they read it after. So does a Parquet lake an older refscope wrote, before the next
`ingest --lake` writes it anew."""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from pathlib import Path

import duckdb

from dashboard import queries, report_data
from dashboard.filters import Filters
from ingest import db, lake
from tests.dashboard.conftest import lake_of, opened

# The columns schema.sql adds to a table an older refscope made without them.
_ADDED = {
    "ad_insights": ("account_currency",),
    "contact_history": ("last_touch",),
    "ingest_runs": (
        "events_left_out",
        "insights_added",
        "insights_not_newer",
        "clicks_read",
        "rejects_left_out",
    ),
}

_IN_LAKE = [t for t in _ADDED if t in lake.WHOLE]  # contact_history is not written to a lake


def _as_older_refscope(path: Path) -> None:
    """The file as a refscope before those columns left it."""
    con = duckdb.connect(str(path))
    try:
        for table, columns in _ADDED.items():
            for column in columns:
                con.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
        con.execute(f"COMMENT ON TABLE events IS '{db.MIGRATED.format(0)}'")
    finally:
        con.close()


def _shown(con: duckdb.DuckDBPyConnection, f: Filters, tables: Iterable[str]) -> tuple[object, ...]:
    report = report_data.gather(report_data.connection_fetch(con), f)
    return (
        report.kpis,
        queries.spend_currency(con).to_dict("records"),
        queries.ingest_totals(con).to_dict("records"),
        [con.execute(f"SELECT * FROM {t} LIMIT 0").description for t in tables],
    )


def _read(path: Path, f: Filters) -> tuple[object, ...]:
    with opened(path) as con:
        return _shown(con, f, _ADDED)


def _read_lake(lake_dir: Path, f: Filters) -> tuple[object, ...]:
    """As `report --lake` reads it."""
    con = db.connect_memory()
    try:
        lake.attach_views(con, lake_dir)
        return _shown(con, f, _IN_LAKE)
    finally:
        con.close()


def test_an_older_files_tables_without_later_columns_are_read_before_a_writer_adds_them(
    demo_copy: Path, tmp_path: Path, filters: Filters
) -> None:
    shown = _read(demo_copy, filters)
    older = tmp_path / "older.duckdb"
    shutil.copy(demo_copy, older)
    _as_older_refscope(older)
    before = older.read_bytes()
    assert _read(older, filters) == shown  # was: Binder Error on account_currency
    assert older.read_bytes() == before  # a reader wrote nothing
    db.connect(older).close()  # a writer adds the columns
    assert _read(older, filters) == shown


def test_an_older_lakes_files_without_later_columns_are_read_before_an_ingest_writes_them(
    demo_copy: Path, tmp_path: Path, filters: Filters
) -> None:
    lake_dir = lake_of(demo_copy, tmp_path / "lake")
    shown = _read_lake(lake_dir, filters)
    con = duckdb.connect()
    try:  # the lake's whole tables as an older refscope wrote them, without the later columns
        for table in _IN_LAKE:
            columns = _ADDED[table]
            file = lake_dir / f"{table}.parquet"
            if file.exists():
                source = f"read_parquet('{file}')"
            else:
                con.execute(db.schema_sql())
                source = table
            kept = f"SELECT * EXCLUDE ({', '.join(columns)}) FROM {source}"
            con.execute(f"COPY ({kept}) TO '{file}.new' (FORMAT parquet)")
            file.with_name(file.name + ".new").replace(file)
    finally:
        con.close()
    assert _read_lake(lake_dir, filters) == shown  # was: Binder Error on account_currency
