"""A read on a new connection, made again when a file changed under it: the dashboard's views
(store.py) and `refscope report` (cli.py) read through it alike. No Streamlit, no click."""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import TypeVar

import duckdb

T = TypeVar("T")
TRIES = 3
PAUSE_SECONDS = 0.5


def read_retried(
    opened: Callable[[], AbstractContextManager[duckdb.DuckDBPyConnection]],
    read: Callable[[duckdb.DuckDBPyConnection], T],
    lake: bool,
) -> T:
    """read on a connection from opened, again (TRIES in all) when it failed because a file
    changed under it: a database's (an IOException), or with lake a Parquet file, which an
    `ingest --lake` replaced between DuckDB's reads of its footer and of its pages (a plain
    duckdb.Error: "TProtocolException: Invalid data"), or a partition it removed between the
    listing and the opening of its files."""
    for attempt in range(TRIES):
        try:
            with opened() as con:
                return read(con)
        except duckdb.CatalogException:
            raise  # a table missing is no race: not a refscope database
        except duckdb.Error as exc:
            torn = isinstance(exc, duckdb.IOException) or lake
            if not torn or attempt == TRIES - 1:
                raise
        time.sleep(PAUSE_SECONDS)
    raise AssertionError("unreachable")
