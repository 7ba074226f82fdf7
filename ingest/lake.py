"""The Parquet lake: the public tables as hive-partitioned, zstd-compressed Parquet files.

`events`, `touches`, `contacts` and `clicks` go to `<lake>/<table>/page_id=…/date=…/`; the small
tables to `<lake>/<table>.parquet`. A sync compares a fingerprint of every partition with the
lake's manifest and rewrites only those that changed (an ingest, a prune, a forget, a newly
registered link), so the lake equals the database after every run and a re-run writes nothing.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

import duckdb

# A click names its page as the link was registered: its numeric id when `pages` knows it.
_CLICK_PAGE = """coalesce((SELECT any_value(p.page_id) FROM pages p
                            WHERE lower(p.username) = lower(t.page)), t.page)"""
# table → (the timestamp that dates a row, the page id expression over alias t)
PARTITIONED = {
    "events": ("ts", "t.page_id"),
    "touches": ("ts", "t.page_id"),
    "contacts": ("first_seen_at", "t.page_id"),
    "clicks": ("ts", _CLICK_PAGE),
}
WHOLE = ("contact_days", "tracked_links", "pages", "ad_insights", "ingest_runs")
MANIFEST = "_manifest.json"
HIVE_TYPES = "{'page_id': VARCHAR, 'date': DATE}"


@dataclass(frozen=True)
class SyncResult:
    written: int  # partitions (re)written
    removed: int  # partitions deleted (their rows are gone from the database)
    unchanged: int


def is_stale(lake: Path, db_file: Path) -> bool:
    """Whether the database changed (a prune, a forget, a link) since the lake was synced."""
    manifest = lake / MANIFEST
    if not manifest.exists():
        return True
    changed = max(
        (p.stat().st_mtime_ns for p in (db_file, db_file.with_name(db_file.name + ".wal"))
         if p.exists()),
        default=0,
    )  # fmt: skip
    return changed > manifest.stat().st_mtime_ns


def _fingerprints(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, str]:
    ts, page = PARTITIONED[table]
    rows = con.execute(
        f"""SELECT {page} AS page_id, CAST(t.{ts} AS DATE) AS date,
                   count(*) || ':' || bit_xor(hash(t)) AS fp
            FROM {table} t GROUP BY ALL"""
    ).fetchall()
    return {_part(p, d): fp for p, d, fp in rows}


def _part(page_id: object, date: object) -> str:
    return f"page_id={page_id}/date={date}"


def sync(con: duckdb.DuckDBPyConnection, lake: Path) -> SyncResult:
    """Bring the lake in line with the database, rewriting only partitions that changed."""
    lake.mkdir(parents=True, exist_ok=True)
    manifest_path = lake / MANIFEST
    old = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    new: dict[str, dict[str, str]] = {}
    written = removed = unchanged = 0
    for table in PARTITIONED:
        current = _fingerprints(con, table)
        before = old.get(table, {})
        changed = [p for p, fp in current.items() if before.get(p) != fp]
        gone = [p for p in before if p not in current]
        if changed:
            _write_partitions(con, table, lake, changed)
        for p in gone:
            shutil.rmtree(lake / table / p, ignore_errors=True)
            _prune_empty(lake / table / p)
        written += len(changed)
        removed += len(gone)
        unchanged += len(current) - len(changed)
        new[table] = current
    for table in WHOLE:
        tmp = lake / f".{table}.{uuid.uuid4().hex}.parquet"
        con.execute(f"COPY {table} TO '{_sql_path(tmp)}' (FORMAT parquet, COMPRESSION zstd)")
        os.replace(tmp, lake / f"{table}.parquet")
    tmp_manifest = lake / f".{MANIFEST}.tmp"
    tmp_manifest.write_text(json.dumps(new, sort_keys=True))
    os.replace(tmp_manifest, manifest_path)
    return SyncResult(written, removed, unchanged)


def _write_partitions(
    con: duckdb.DuckDBPyConnection, table: str, lake: Path, parts: list[str]
) -> None:
    """Write the changed partitions to a staging folder, then swap each into place."""
    ts, page = PARTITIONED[table]
    staging = lake / f".staging-{table}-{uuid.uuid4().hex}"
    keys = [(p.split("/")[0][8:], p.split("/")[1][5:]) for p in parts]
    con.execute("CREATE OR REPLACE TEMP TABLE rs_lake_parts (page_id VARCHAR, date DATE)")
    con.executemany("INSERT INTO rs_lake_parts VALUES (?, ?)", [list(k) for k in keys])
    cols = "t.*" if table != "clicks" else f"t.*, {page} AS page_id"
    con.execute(
        f"""COPY (
                SELECT * FROM (SELECT {cols}, CAST(t.{ts} AS DATE) AS date FROM {table} t) t
                SEMI JOIN rs_lake_parts k ON k.page_id = t.page_id AND k.date = t.date
            ) TO '{_sql_path(staging)}'
            (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (page_id, date))"""
    )
    for p in parts:
        target = lake / table / p
        fresh = staging / p
        if target.exists():
            shutil.rmtree(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(fresh, target)
    shutil.rmtree(staging, ignore_errors=True)


def _prune_empty(path: Path) -> None:
    parent = path.parent
    if parent.exists() and not any(parent.iterdir()):
        parent.rmdir()


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")


def attach_views(con: duckdb.DuckDBPyConnection, lake: Path) -> None:
    """Make the lake readable under the contract's table names (the dashboard's --lake)."""
    for table in PARTITIONED:
        glob = _sql_path(lake / table / "*" / "*" / "*.parquet")
        drop = "date, page_id" if table == "clicks" else "date"
        if any((lake / table).glob("*/*/*.parquet")):
            con.execute(
                f"""CREATE OR REPLACE VIEW {table} AS SELECT * EXCLUDE ({drop})
                    FROM read_parquet('{glob}', hive_partitioning = true,
                                      hive_types = {HIVE_TYPES})"""
            )
        else:  # an empty table keeps its columns: take them from the schema
            _empty_view(con, table)
    for table in WHOLE:
        path = lake / f"{table}.parquet"
        if path.exists():
            con.execute(f"CREATE OR REPLACE VIEW {table} AS "
                        f"SELECT * FROM read_parquet('{_sql_path(path)}')")  # fmt: skip
        else:
            _empty_view(con, table)


def _empty_view(con: duckdb.DuckDBPyConnection, table: str) -> None:
    from .db import schema_sql

    con.execute("CREATE SCHEMA IF NOT EXISTS rs_empty")
    con.execute("SET schema = 'rs_empty'")
    try:
        con.execute(schema_sql())
    finally:
        con.execute("SET schema = 'main'")
    con.execute(f"CREATE OR REPLACE VIEW {table} AS SELECT * FROM rs_empty.{table}")
