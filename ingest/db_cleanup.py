"""What a failed or stopped command leaves of a database file: one it made goes while it holds
no row, as a refused command makes none; a DuckDB file that held nothing is put back as it was."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from .cli_stop import stops_held
from .db import drop_cut_header, duckdb_config, wal
from .schema import objects, quoted


def drop_if_rowless(path: Path) -> None:
    """Remove the database file a stopped command made (and its write-ahead log) when it holds
    no row: a stop before the command's commit left an empty database, where a refused command
    leaves none. One with a row, or that cannot be read (another process holds it), stays."""
    try:
        rowless = _holds_no_row(path)
    except duckdb.Error:
        drop_cut_header(path)  # the stop came as DuckDB wrote its header
        return
    if rowless:
        for made in (path, wal(path)):
            made.unlink(missing_ok=True)


def _peek(path: Path) -> duckdb.DuckDBPyConnection:
    """A read-only look into the DuckDB file path, without refscope's schema or checks (it may
    be none of refscope's); duckdb.Error when it cannot be opened."""
    return duckdb.connect(str(path), read_only=True, config=duckdb_config(read_only=True))


def _holds_no_row(path: Path) -> bool:
    """Whether no table of the database file path holds a row; duckdb.Error when it cannot be
    read (another process holds it, or it is no DuckDB file)."""
    con = _peek(path)
    try:
        tables = con.execute(
            "SELECT schema_name, table_name FROM duckdb_tables() "
            "WHERE database_name = current_database()"
        ).fetchall()
        for schema, table in tables:
            one = f"SELECT count(*) FROM (SELECT 1 FROM {quoted(schema)}.{quoted(table)} LIMIT 1)"
            if con.execute(one).fetchone() != (0,):
                return False
    finally:
        con.close()
    return True


def holds_nothing(path: Path) -> bool:
    """Whether path is a DuckDB file that holds no object and has no write-ahead log beside it
    (`duckdb.connect(path).close()` makes one), which `ingest` makes a refscope database as it
    makes a missing one. False for any other file, and for one that cannot be read now (another
    process holds it)."""
    if wal(path).exists():
        return False
    try:
        con = _peek(path)
    except duckdb.Error:
        return False
    try:
        return not objects(con)
    except duckdb.Error:
        return False
    finally:
        con.close()


# The largest file looked into for holding nothing: `duckdb.connect(path).close()` makes one of
# 12 KiB (its headers), and one whose objects were all dropped keeps one 256 KiB block (268 KiB).
BLANK_BOUND = 512 * 1024


@contextmanager
def no_empty_file_left(path: Path, *, when: Callable[[], bool] | None = None) -> Iterator[None]:
    """A block that may make the database file path (not there yet as it starts): when it fails
    or is stopped (and when() says so, if given: a stop, say), the file it made is removed while
    it holds no row (drop_if_rowless), as a refused command makes none; a DuckDB file that holds
    nothing as the block starts (holds_nothing) is likewise put back as it was, byte for byte,
    while it holds no row.

    Only a file of at most BLANK_BOUND bytes is opened to see whether it holds nothing: every
    `ingest` enters the block, and opening a database of a few MB takes tens of ms, what an
    unchanged re-run takes in all. A larger file that holds nothing (its data dropped, DuckDB
    keeping the space) is kept as any database that was there: what the block committed in it,
    the refscope schema included, stays."""
    new = not os.path.lexists(path)
    blank = not new and _at_most(path, BLANK_BOUND) and holds_nothing(path)
    kept = path.read_bytes() if blank else None
    try:
        yield
    except BaseException:
        if when is None or when():
            # A second Ctrl-C or SIGTERM waits until the file is cleaned up: it must not leave
            # it half written, nor the empty file it made (its line says nothing was written).
            with stops_held(), contextlib.suppress(duckdb.Error, OSError):
                if new:
                    drop_if_rowless(path)
                elif kept is not None and _holds_no_row(path):
                    _put_back(path, kept)
        raise


def _at_most(path: Path, size: int) -> bool:
    """Whether path is a file of at most size bytes (one stat, no open); False for none there."""
    try:
        return path.stat().st_size <= size
    except OSError:
        return False


def _put_back(path: Path, kept: bytes) -> None:
    """path's bytes made kept again, its write-ahead log gone first: replayed into them, the
    log would bring back what the block wrote. Bytes still as kept (the block's writes all in
    the log, one the disk refused) are not written again: a full disk may refuse that too."""
    wal(path).unlink(missing_ok=True)
    with open(path, "r+b") as fh:  # in place: the file keeps its mode and owner
        if fh.read(len(kept) + 1) == kept:
            return
        fh.seek(0)
        fh.write(kept)
        fh.truncate()
