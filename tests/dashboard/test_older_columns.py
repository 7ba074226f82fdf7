"""A file an older refscope wrote lacks the columns added to its tables since (ALTER TABLE in
schema.sql): read-only, before any writer adds them, the dashboard's queries and a report read
it as they read it after. So does a Parquet lake an older refscope wrote, before the next
`ingest --lake` writes it anew. Each table has the columns, order and types of a table this
version writes, the missing ones NULL; so has a lake's table it has no file of."""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from pathlib import Path

import duckdb

from dashboard import queries, report_data
from dashboard.filters import Filters
from ingest import db, lake, pipeline
from tests import factories as f
from tests.dashboard.conftest import lake_of, opened

# The columns schema.sql adds to a table an older refscope made without them.
_ADDED = {
    "ad_insights": ("account_currency",),
    "contact_history": ("last_touch", "product_id"),
    "events": ("product_id",),
    "touches": ("product_id",),
    "contacts": ("product_id",),
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


def _described(con: duckdb.DuckDBPyConnection, tables: Iterable[str]) -> dict[str, list[object]]:
    """Each table's columns and their types, in order."""
    return {t: [r[:2] for r in con.execute(f"DESCRIBE {t}").fetchall()] for t in tables}


def _written(tmp_path: Path) -> tuple[Path, Path, dict[str, list[object]]]:
    """A database and its lake, of one message (no clicks, no ad insights), and its tables'
    columns as this version writes them."""
    log = f.write_ndjson(tmp_path / "logs" / "a.ndjson", [f.delivery(f.message("hi"))])
    db_file, lake_dir = tmp_path / "r.duckdb", tmp_path / "lake"
    pipeline.run([str(log)], db_file, lake_dir=lake_dir)
    with duckdb.connect(str(db_file), read_only=True) as con:
        tables = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()]
        return db_file, lake_dir, _described(con, tables)


def test_an_older_files_tables_have_every_column_with_its_type(tmp_path: Path) -> None:
    db_file, _, written = _written(tmp_path)
    assert set(_ADDED) <= set(written)
    _as_older_refscope(db_file)
    with opened(db_file) as con:
        assert _described(con, written) == written
        assert con.execute("SELECT account_currency FROM ad_insights").fetchall() == []
        assert con.execute("SELECT clicks_read FROM ingest_runs").fetchall() == [(None,)]


def test_an_older_lakes_tables_and_its_absent_ones_have_every_column_with_its_type(
    tmp_path: Path,
) -> None:
    _, lake_dir, written = _written(tmp_path)
    assert not any((lake_dir / "clicks").glob("*/*/*.parquet"))  # read from no file
    runs = lake_dir / "ingest_runs.parquet"
    with duckdb.connect() as con:  # as an older refscope wrote it, without the later columns
        kept = f"SELECT * EXCLUDE ({', '.join(_ADDED['ingest_runs'])}) FROM read_parquet('{runs}')"
        con.execute(f"COPY ({kept}) TO '{runs}.new' (FORMAT parquet)")
    runs.with_name(runs.name + ".new").replace(runs)
    con = db.connect_memory()
    try:
        lake.attach_views(con, lake_dir)
        tables = [*lake.PARTITIONED, *lake.WHOLE]
        assert _described(con, tables) == {t: written[t] for t in tables}
        assert con.execute("SELECT clicks_read, lines_read FROM ingest_runs").fetchall() == [
            (None, 1)
        ]
        assert con.execute("SELECT count(*) FROM clicks").fetchall() == [(0,)]
    finally:
        con.close()
