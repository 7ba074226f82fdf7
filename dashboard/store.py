"""Read access for the app: short-lived read-only connections, retried while an ingest writes.

Results are cached keyed on the newest finished `ingest_runs` id, a fingerprint of the tables
other commands change (links, pages, ad spend, forgotten or pruned rows) and the UTC day (which
decides the newest whole day of data), so a finished ingest, any such command or 00:00 UTC
refreshes every view without a short TTL, and the cache stays bounded.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import streamlit as st

from dashboard import queries, query_parts
from dashboard.read_retry import read_retried
from ingest import db, lake
from ingest.errors import DatabaseError, DatabaseLocked

READ_RETRY_SECONDS = 20.0  # an ingest holds the write lock only while it loads


def database_path() -> Path:
    return db.db_path(os.environ.get("REFSCOPE_DB"))


def lake_path() -> Path | None:
    """With `refscope dashboard --lake DIR`: the Parquet lake read instead of a database."""
    lake_dir = os.environ.get("REFSCOPE_LAKE")
    return Path(lake_dir) if lake_dir else None


def source_path() -> Path:
    """What the app reads: the lake's manifest or the database file."""
    lake_dir = lake_path()
    return lake_dir / lake.MANIFEST if lake_dir else database_path()


@contextmanager
def reading(wait: float | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection; waits while a writer holds the file (READ_RETRY_SECONDS unless
    told)."""
    lake_dir = lake_path()
    if lake_dir is not None:
        con = db.connect_memory()
        lake.attach_views(con, lake_dir)
    else:
        con = db.connect(
            database_path(), read_only=True, wait=READ_RETRY_SECONDS if wait is None else wait
        )
    try:
        queries.install_macros(con)
        yield con
    finally:
        con.close()


def status() -> tuple[int, int]:
    """(last ingest run id, contacts); (-1, 0) when there is no database yet, or a DuckDB file
    that holds nothing. DatabaseError when the file is there but is not a refscope database
    (another program's, a file of 0 bytes)."""
    run_id, contacts, _ = _state()
    return run_id, contacts


def has_database() -> bool:
    """Whether there is a refscope database (or lake) to read: none yet, or a DuckDB file no
    command wrote to, has no table to ask."""
    return status()[0] >= 0


def writer_busy() -> bool:
    """Whether the last look at the database found another process writing it, so the views
    show the data of the last state read before (see `_state`)."""
    last = _LAST.get(str(source_path()))
    return last is not None and last[1]


# The last state read of each file, and whether a writer held the file at the last look.
_LAST: dict[str, tuple[tuple[int, int, str], bool]] = {}


def _state() -> tuple[int, int, str]:
    """(last ingest run id, contacts, data version); (-1, 0, "") with no database yet (or a
    DuckDB file that holds nothing).

    Opening the file costs more than most cached answers, so the answer is kept until the
    database file or its write-ahead log changes on disk. While another process holds the
    file (an ingest that runs for minutes), the app keeps the last state it read, so every
    view already cached for it is served at once; only a first look waits for the writer.
    """
    path = source_path()
    if not path.exists():
        return -1, 0, ""
    key = str(path)
    last = _LAST.get(key)
    try:
        state = _status(key, _signature(path), 0.0 if last else READ_RETRY_SECONDS)
    except DatabaseLocked:
        if last is None:
            raise
        _LAST[key] = (last[0], True)
        return last[0]
    _LAST[key] = (state, False)
    return state


def _signature(path: Path) -> tuple[int, ...]:
    sig: list[int] = []
    for p in (path, path.with_name(path.name + ".wal")):
        try:
            st_ = p.stat()
            sig += [st_.st_mtime_ns, st_.st_size]
        except FileNotFoundError:
            sig += [0, 0]
    return tuple(sig)


def _read(fn: Callable[[duckdb.DuckDBPyConnection], Any], wait: float | None = None) -> Any:
    """fn on a new read connection, read again when a file changed under it (read_retry)."""
    return read_retried(lambda: reading(wait), fn, lake_path() is not None)


def _state_of(con: duckdb.DuckDBPyConnection, path: str) -> tuple[int, int, str]:
    try:
        with db.refscope_tables(con, path):  # another program's DuckDB file: not_refscope
            return queries.last_run_id(con), queries.contact_count(con), queries.data_version(con)
    except db.NoDataYet:
        # A DuckDB file no command wrote to, which `ingest` makes a refscope database: no data
        # yet, as with no database yet.
        return -1, 0, ""


@st.cache_data(max_entries=8, show_spinner=False)
def _status(path: str, signature: tuple[int, ...], _wait: float) -> tuple[int, int, str]:
    """Read the state; `_wait` (not part of the cache key) is how long to wait for a writer."""
    try:
        run, contacts, version = _read(lambda con: _state_of(con, path), _wait)
    except duckdb.Error as exc:
        raise DatabaseError(f"{path} cannot be read as a refscope database: {exc}") from None
    return run, contacts, version


@st.cache_data(max_entries=256, show_spinner=False)
def _cached(
    name: str, run_id: int, version: str, path: str, today: dt.date, args: tuple[Any, ...]
) -> pd.DataFrame:
    """queries.<name>(con, *args); today (UTC) is part of the key: a new day turns today's events
    into a whole day, where presets end and retention counts days as passed."""
    fn: Callable[..., pd.DataFrame] = getattr(queries, name)
    frame: pd.DataFrame = _read(lambda con: fn(con, *args))
    return frame


def fetch(name: str, *args: Any) -> pd.DataFrame:
    """Run queries.<name>(con, *args) through the cache keyed on the last ingest run, the
    data version and the UTC day."""
    run_id, _, version = _state()
    return _cached(name, run_id, version, str(source_path()), query_parts.utc_today(), args)


@contextmanager
def writing() -> Iterator[duckdb.DuckDBPyConnection]:
    """A short write connection (registering links); waits while an ingest holds the file.

    A dashboard reading a lake writes to the database the lake is kept from; it never makes
    a new one (what it registered there would never reach the lake)."""
    path, lake_dir = database_path(), lake_path()
    if lake_dir is not None and not path.exists():
        raise DatabaseError(
            f"the dashboard reads the lake {lake_dir} and there is no database at {path}: "
            "register links in the database the lake is kept from (`refscope links create "
            "--db FILE`, or `refscope dashboard --lake DIR --db FILE`); they reach the lake at "
            "its next `refscope ingest --lake`"
        )
    con = db.connect(path, wait=READ_RETRY_SECONDS)
    try:
        yield con
    finally:
        con.close()
