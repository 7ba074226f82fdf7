"""Which database a Parquet lake belongs to.

A sync deletes the partitions its database does not hold, so two databases syncing into one lake
erase each other's rows. Each database keeps a random id (`database_id`, made at its first sync
and carried over by `refscope rebuild`); the lake's manifest names the id of the database that
writes it, and a sync from a database of another id is refused before anything is written or
deleted. The id is in the file: the same database moved or copied has it, and is no other.
"""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path

import duckdb

from . import db, lake_manifest
from .errors import LakeError

KEY = "_owner"  # the manifest's entry: the id of the database that writes the lake


def database_id(con: duckdb.DuckDBPyConnection) -> str | None:
    """The database's id, made now when it has none (at its first sync); None when it has none
    and the connection is read-only."""
    row = con.execute("SELECT any_value(id) FROM database_id").fetchone()
    if row and row[0]:
        return str(row[0])
    read_only = con.execute(
        "SELECT readonly FROM duckdb_databases() WHERE database_name = current_database()"
    ).fetchone()
    if read_only and read_only[0]:
        return None
    made = uuid.uuid4().hex
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    con.execute("INSERT INTO database_id VALUES (?, ?)", [made, now])
    # In the file before the manifest records the file's state: else the close's checkpoint
    # changed it after the sync, and the next run took the lake for stale.
    db.checkpoint(con, "the database's id")
    return made


def claim(con: duckdb.DuckDBPyConnection, manifest_path: Path, manifest: dict) -> dict[str, str]:
    """The manifest's owner entry for this database's sync into the lake of manifest_path (read
    as manifest); a LakeError when another database writes it. A lake whose manifest names no
    owner (none yet, or one written by an earlier version) becomes this database's; a sync
    through a read-only connection to a database without an id yet leaves it no one's.

    A lake without a manifest is claimed by creating one that names this database, before
    anything is written: of two databases claiming a new lake at once, the one that created it
    writes the lake, the other is refused (each read no owner, and each deleted the other's
    partitions as its own database does not hold them)."""
    ours = database_id(con)
    theirs = manifest.get(KEY)
    if not manifest and ours is not None and not lake_manifest.create(manifest_path, {KEY: ours}):
        theirs = lake_manifest.read(manifest_path).get(KEY)  # created by another sync meanwhile
    if theirs is not None and theirs != ours:
        raise LakeError(
            f"{manifest_path.parent}: this Parquet lake is written by another database (a sync "
            "would delete its partitions): nothing was written or deleted. One lake belongs to "
            "one database: give this one its own lake folder, or, if it replaces the database "
            f"that wrote the lake, delete {manifest_path} and the next sync writes the lake anew "
            "from this one"
        )
    return {KEY: ours} if ours else {}  # read-only, no id yet: the lake stays no one's
