"""The Parquet lake: the public tables as hive-partitioned, zstd-compressed Parquet files.

`events`, `touches`, `contacts` and `clicks` go to `<lake>/<table>/page_id=…/date=…/`; the small
tables to `<lake>/<table>.parquet`. A sync compares a fingerprint of every partition with the
lake's manifest and rewrites only those that changed (an ingest, a prune, a forget, a newly
registered link), so the lake equals the database after every run and a re-run writes nothing.

Partition folders are named as DuckDB and Hive name them: the page id percent-encoded (any
string the logs held is a valid name), `__HIVE_DEFAULT_PARTITION__` for none. Parquet has no
128-bit integer, so `event_key` and `click_key` are written as their decimal digits (a DOUBLE
would keep 53 of their bits); the dashboard's views read them back as the database types.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from . import comment_tables, db, lake_files, lake_lock, lake_manifest, lake_owner, schema
from .errors import LakeError
from .lake_files import NULL_PARTITION as NULL_PARTITION  # the lake's name for none, as Hive's
from .link_rules import same_username_sql
from .wording import counted

# A click names its page as the link was registered: its numeric id when `pages` knows it.
_CLICK_PAGE = f"""coalesce((SELECT any_value(p.page_id) FROM pages p
                            WHERE {same_username_sql("p.username", "t.page")}), t.page)"""
# table → (the timestamp that dates a row, the page id expression over alias t)
PARTITIONED = {
    "events": ("ts", "t.page_id"),
    "touches": ("ts", "t.page_id"),
    "contacts": ("first_seen_at", "t.page_id"),
    "clicks": ("ts", _CLICK_PAGE),
}
WHOLE = (
    "contact_days",
    "tracked_links",
    "pages",
    "ad_insights",
    "ad_pulls",
    "ingest_runs",
    "prunes",
)
MANIFEST = "_manifest.json"
HIVE_TYPES = "{'page_id': VARCHAR, 'date': DATE}"
# The manifest's "_format": a lake written in another format is rewritten whole at the next
# sync (a run finds it stale). 3: fingerprints of rehashed row hashes (see _fingerprints; a
# lake of 2 may hold rows their XOR missed). 2: 128-bit keys as decimal digits, partition names
# percent-encoded. 1: keys as DOUBLE.
FORMAT = 3
WIDE = ("HUGEINT", "UHUGEINT")  # integer types Parquet cannot hold: written as VARCHAR
# A page id is a number of some 15 digits: one longer than this (a broken or hostile log) is no
# page's, and as a partition's folder name (`page_id=` and the id percent-encoded, up to 3
# bytes a byte) it passed the file system's 255 bytes. The ingest rejects it; a row an earlier
# version stored with one is left out of the lake, said, rather than failing every sync.
MAX_PAGE_ID_BYTES = 80


@dataclass(frozen=True)
class SyncResult:
    written: int  # partitions (re)written
    removed: int  # partitions deleted (their rows are gone from the database)
    unchanged: int
    left_out: dict[str, int] = field(default_factory=dict)  # table → rows of too long a page id

    def line(self) -> str:
        """The sync as the commands report it (on stdout, with their output)."""
        return (f"lake: {counted(self.written, 'partition')} written, {self.removed:,} removed, "
                f"{self.unchanged:,} unchanged")  # fmt: skip

    def warnings(self) -> list[str]:
        """What the sync left out, said as the commands' other warnings are (on stderr)."""
        if not self.left_out:
            return []
        rows = ", ".join(counted(n, f"{table} row") for table, n in self.left_out.items())
        return [
            f"left out of the lake: {rows} with a page id longer than {MAX_PAGE_ID_BYTES} bytes "
            "(no page's: stored by an earlier version; no folder name holds it)"
        ]


def is_stale(lake: Path, db_file: Path) -> bool:
    """Whether the database changed (a prune, a forget, a link) since the lake was synced, or is
    another file (moved into its place), or a partition folder the manifest names or a small
    table's file is gone (deleted by hand: a stat each, no listing)."""
    synced = lake_manifest.read(lake / MANIFEST)
    if synced.get("_format") != FORMAT:
        return True
    if any(not (lake / t / p).is_dir() for t in PARTITIONED for p in synced.get(t, {})):
        return True
    if any(not (lake / f"{t}.parquet").is_file() for t in WHOLE):
        return True
    return bool(synced.get("_database") != _identity(db_file))


def _identity(db_file: Path | None) -> list[int] | None:
    """The database file's device and inode, and its and its `.wal`'s mtime and size: a file
    moved into its place (`mv`, as rebuild says) keeps its own, older mtime, and a lake on
    another file system (NFS, a bucket) has its manifest dated by that one's clock."""
    if db_file is None or not db_file.exists():
        return None
    st, wal = db_file.stat(), db_file.with_name(db_file.name + ".wal")
    wst = wal.stat() if wal.exists() else None
    return [st.st_dev, st.st_ino, st.st_mtime_ns, st.st_size,
            wst.st_mtime_ns if wst else 0, wst.st_size if wst else 0]  # fmt: skip


def _db_file(con: duckdb.DuckDBPyConnection) -> Path | None:
    """The file of the connection's database (None in memory)."""
    row = con.execute(
        "SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
    ).fetchone()
    return Path(row[0]) if row and row[0] else None


def _fingerprints(
    con: duckdb.DuckDBPyConnection, table: str
) -> tuple[dict[str, tuple[lake_files.Part, str]], int]:
    """Per partition (by its folder name): its values and a fingerprint of its rows; and the
    rows left out, those of a page id longer than MAX_PAGE_ID_BYTES.

    Each row's hash is hashed again: a row's hash is its last column's XORed in, so rows whose
    last column changed alike (two events' run_id after a rebuild; any table's last column)
    cancelled out in the XOR, and their partition was taken for unchanged."""
    ts, page = PARTITIONED[table]
    rows = con.execute(
        f"""SELECT {page} AS page_id, CAST(t.{ts} AS DATE) AS date,
                   count(*) || ':' || bit_xor(hash(hash(t))) AS fp, count(*) AS n
            FROM {table} t GROUP BY ALL"""
    ).fetchall()
    parts: dict[str, tuple[lake_files.Part, str]] = {}
    too_long = 0
    for p, d, fp, n in rows:
        if p is not None and len(p.encode()) > MAX_PAGE_ID_BYTES:
            too_long += n
        else:
            parts[lake_files.part(p, d)] = ((p, d), fp)
    return parts, too_long


def sync(con: duckdb.DuckDBPyConnection, lake: Path) -> SyncResult:
    """Bring the lake in line with the database, rewriting only partitions that changed.

    A lake that cannot be written (a full volume, a file where a folder goes) is a LakeError,
    one line naming the folder and the reason, not a traceback: the database is committed
    before a sync, and the next one (its manifest still the old) brings the lake in line."""
    try:
        lake.mkdir(parents=True, exist_ok=True)
        with lake_lock.held(lake):  # another file of this database may sync it (lake_lock.py)
            return _sync(con, lake)
    except OSError as exc:
        raise LakeError(_cannot_write(lake, exc.strerror or str(exc))) from exc
    except duckdb.IOException as exc:  # DuckDB's own write of a Parquet file: no OSError
        raise LakeError(_cannot_write(lake, _io_reason(exc))) from exc


def _cannot_write(lake: Path, reason: str) -> str:
    return (f"{lake}: the Parquet lake could not be written: {reason} (the database is "
            "up to date; the next sync brings the lake in line)")  # fmt: skip


def _io_reason(exc: duckdb.IOException) -> str:
    """The reason in DuckDB's message: its errno's words when it gives one (its message is
    a JSON object with the path and the errno, on a full volume "errno":"28")."""
    found = re.search(r'"errno"\s*:\s*"?(\d+)', str(exc))
    return os.strerror(int(found[1])) if found else str(exc).removeprefix("IO Error: ")


def _sync(con: duckdb.DuckDBPyConnection, lake: Path) -> SyncResult:
    manifest_path = lake / MANIFEST
    old = lake_manifest.read(manifest_path)
    owner = lake_owner.claim(con, manifest_path, old)  # another database's lake: nothing deleted
    lake_files.remove_leftovers(lake)
    same_format = old.get("_format") == FORMAT
    new: dict[str, object] = {"_format": FORMAT, "_database": _identity(_db_file(con)), **owner}
    written = removed = unchanged = 0
    left_out: dict[str, int] = {}
    for table in PARTITIONED:
        current, too_long = _fingerprints(con, table)
        if too_long:
            left_out[table] = too_long
        before = old.get(table, {})
        # A partition whose file is gone from disk (deleted by hand) is written again, its
        # fingerprint in the manifest notwithstanding: else it stayed missing for good.
        present = lake_files.on_disk(lake / table, "*.parquet")
        changed = [
            p for p, (_, fp) in current.items()
            if not same_format or before.get(p) != fp or p not in present
        ]  # fmt: skip
        # Also a folder the manifest does not name: a sync that died after swapping it in.
        gone = [p for p in {*before, *lake_files.on_disk(lake / table)} if p not in current]
        # Kept without rows too (no click logged yet): an external table over it has a place.
        (lake / table).mkdir(exist_ok=True)
        if changed:
            _write_partitions(con, table, lake, {p: current[p][0] for p in changed})
        for p in gone:
            shutil.rmtree(lake / table / p, ignore_errors=True)
            lake_files.prune_empty(lake / table / p)
        written += len(changed)
        removed += len(gone)
        unchanged += len(current) - len(changed)
        new[table] = {p: fp for p, (_, fp) in current.items()}
    for table in WHOLE:
        tmp = lake / f".{table}.parquet.tmp"  # one name: a crash's leftover is found and cleaned
        try:
            con.execute(
                f"COPY (SELECT {_as_written(con, table)} FROM {table} t) TO '{_sql_path(tmp)}' "
                "(FORMAT parquet, COMPRESSION zstd)"
            )
            os.replace(tmp, lake / f"{table}.parquet")
        finally:
            tmp.unlink(missing_ok=True)  # a write that failed half-way (a full volume)
    tmp_manifest = lake / f".{MANIFEST}.tmp"
    try:
        tmp_manifest.write_text(json.dumps(new, sort_keys=True))
        os.replace(tmp_manifest, manifest_path)
    finally:
        tmp_manifest.unlink(missing_ok=True)
    return SyncResult(written, removed, unchanged, left_out)


def _as_written(con: duckdb.DuckDBPyConnection, table: str) -> str:
    """`t.*`, with the 128-bit integers as their decimal digits (see WIDE)."""
    wide = [
        (str(name), str(kind))
        for name, kind in con.execute(
            """SELECT column_name, data_type FROM duckdb_columns()
               WHERE database_name = current_database() AND schema_name = 'main'
                 AND table_name = ? ORDER BY column_index""",
            [table],
        ).fetchall()
        if kind in WIDE
    ]
    if not wide:
        return "t.*"
    # A UHUGEINT through key_text: DuckDB's own cast of one takes 40 us (9 s for 200k events).
    digits = [
        (db.key_text(f't."{n}"') if kind == "UHUGEINT" else f'CAST(t."{n}" AS VARCHAR)', n)
        for n, kind in wide
    ]
    return "t.* REPLACE (" + ", ".join(f'{sql} AS "{n}"' for sql, n in digits) + ")"


def _write_partitions(
    con: duckdb.DuckDBPyConnection, table: str, lake: Path, parts: dict[str, lake_files.Part]
) -> None:
    """Write the changed partitions to a staging folder, then move their files into place.

    File by file, each by one rename over the old file of its name: a reader (DuckDB, Spark)
    lists a partition's files, then opens them, and finds the old file or the new one, whole.
    Swapping whole folders left a moment with none in place (concurrent reads during syncs saw
    11 low counts and 2 files gone between listing and opening in 3,177)."""
    ts, page = PARTITIONED[table]
    staging = lake / f".staging-{table}"  # one name: a crash's leftover is found and replaced
    lake_files.remove_folder(staging)
    con.execute("CREATE OR REPLACE TEMP TABLE rs_lake_parts (page_id VARCHAR, date DATE)")
    con.executemany("INSERT INTO rs_lake_parts VALUES (?, ?)", [list(k) for k in parts.values()])
    cols = _as_written(con, table) + (f", {page} AS page_id" if table == "clicks" else "")
    try:
        con.execute(
            f"""COPY (
                    SELECT * FROM (SELECT {cols}, CAST(t.{ts} AS DATE) AS date FROM {table} t) t
                    SEMI JOIN rs_lake_parts k
                        ON k.page_id IS NOT DISTINCT FROM t.page_id AND k.date = t.date
                ) TO '{_sql_path(staging)}'
                (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (page_id, date))"""
        )
        staged = {
            lake_files.part_of_folder(d.parent.name, d.name): d
            for d in staging.glob("page_id=*/date=*")
        }
        missing = sorted(set(parts) - set(staged))
        if missing:
            raise LakeError(_cannot_write(lake, _vanished(table, staging, missing)))
        for p in parts:
            lake_files.move_files(staged[p], lake / table / p)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _vanished(table: str, staging: Path, missing: list[str]) -> str:
    """Why a sync stops when partitions DuckDB wrote to the staging folder are not there."""
    more = ", …" if len(missing) > 5 else ""
    return (f"{counted(len(missing), table + ' partition')} written to {staging} were gone "
            f"before they were moved into place ({', '.join(missing[:5])}{more}): another "
            "process removed them (a second sync of this lake on a file system without locks, "
            "a clean-up of hidden folders); let one sync at a time write the lake")  # fmt: skip


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")


def _sql_glob(folder: Path, pattern: str = "") -> str:
    """A path for read_parquet, which globs every path it is given: the folder's own `[`, `*`
    and `?` as themselves (`[[]`: a lake at `lake [b]` was read as `lake b`, or found empty),
    then pattern as a glob."""
    literal = re.sub(r"([\[*?])", r"[\1]", str(folder))
    return _sql_path(Path(literal) / pattern if pattern else Path(literal))


def attach_views(con: duckdb.DuckDBPyConnection, lake: Path) -> None:
    """Make the lake readable under the contract's table names (the dashboard's --lake): the
    database's columns, in its order and with its types."""
    columns = schema.schema_columns()
    for table in (*PARTITIONED, *WHOLE):
        if table in PARTITIONED:
            present = any((lake / table).glob("*/*/*.parquet"))
            source = (
                f"read_parquet('{_sql_glob(lake / table, '*/*/*.parquet')}', "
                f"hive_partitioning = true, hive_types = {HIVE_TYPES})"
            )
        else:
            present = (lake / f"{table}.parquet").exists()
            source = f"read_parquet('{_sql_glob(lake / f'{table}.parquet')}')"
        if not present:  # an empty table keeps its columns: each one NULL, in no row
            cols = schema.stand_ins(columns[table], set())
            con.execute(f"CREATE OR REPLACE VIEW {table} AS SELECT {cols} WHERE false")
            continue
        have = {r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()}
        # A column an older refscope's lake lacks reads NULL, as in its database.
        cols = schema.stand_ins(columns[table], have, _read_column)
        con.execute(f"CREATE OR REPLACE VIEW {table} AS SELECT {cols} FROM {source}")
    comment_tables.views(con, temporary=False)  # kept from events, not written to the lake


def _read_column(name: str, kind: str) -> str:
    """A column of the lake's files as the database has it (WIDE ones are written as text)."""
    return f'CAST("{name}" AS {kind}) AS "{name}"' if kind in WIDE else f'"{name}"'
