"""What a failed or stopped command leaves of a database file: one it made goes while it holds
no row, as a refused command makes none."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from .db import drop_cut_header, duckdb_config, wal
from .schema import quoted


def drop_if_rowless(path: Path) -> None:
    """Remove the database file a stopped command made (and its write-ahead log) when it holds
    no row: a stop before the command's commit left an empty database, where a refused command
    leaves none. One with a row, or that cannot be read (another process holds it), stays."""
    try:
        con = duckdb.connect(str(path), read_only=True, config=duckdb_config(read_only=True))
    except duckdb.Error:
        drop_cut_header(path)  # the stop came as DuckDB wrote its header
        return
    try:
        tables = con.execute(
            "SELECT schema_name, table_name FROM duckdb_tables() "
            "WHERE database_name = current_database()"
        ).fetchall()
        for schema, table in tables:
            one = f"SELECT count(*) FROM (SELECT 1 FROM {quoted(schema)}.{quoted(table)} LIMIT 1)"
            if con.execute(one).fetchone() != (0,):
                return
    finally:
        con.close()
    for made in (path, wal(path)):
        made.unlink(missing_ok=True)


@contextmanager
def no_empty_file_left(path: Path, *, when: Callable[[], bool] | None = None) -> Iterator[None]:
    """A block that may make the database file path (not there yet as it starts): when it fails
    or is stopped (and when() says so, if given: a stop, say), the file it made is removed while
    it holds no row (drop_if_rowless), as a refused command makes none."""
    new = not os.path.lexists(path)
    try:
        yield
    except BaseException:
        if new and (when is None or when()):
            with contextlib.suppress(duckdb.Error, OSError):
                drop_if_rowless(path)
        raise
