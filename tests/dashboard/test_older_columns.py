"""A file an older refscope wrote lacks the columns added to its tables since (ALTER TABLE in
schema.sql): read-only, before any writer adds them, the dashboard's queries and a report read
it as they read it after."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb

from dashboard import queries, report_data
from dashboard.filters import Filters
from ingest import db
from tests.dashboard.conftest import opened

# The columns schema.sql adds to a table an older refscope made without them.
_ADDED = {
    "ad_insights": ("account_currency",),
    "contact_history": ("last_touch",),
    "ingest_runs": ("events_left_out", "insights_added", "insights_not_newer", "clicks_read"),
}


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


def _read(path: Path, f: Filters) -> tuple[object, ...]:
    with opened(path) as con:
        report = report_data.gather(report_data.connection_fetch(con), f)
        return (
            report.kpis,
            queries.spend_currency(con).to_dict("records"),
            queries.ingest_totals(con).to_dict("records"),
            [con.execute(f"SELECT * FROM {t} LIMIT 0").description for t in _ADDED],
        )


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
