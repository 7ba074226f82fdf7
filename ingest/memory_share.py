"""DuckDB's share of memory in a command that reads or writes the database: REFSCOPE_INGEST_MEMORY.

An ingest, a rebuild, forget, prune and the lake sync are each held to it: past it, DuckDB
spills to the database's temporary folder (`<db>.tmp`) instead of growing the process.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

from . import db, sizes
from .errors import ValidationError

# Batches commit one by one, so this bounds the process whatever the size of the run.
INGEST_MEMORY_LIMIT = "600MB"  # sizes.MEMORY_BYTES
MEMORY_ENV = sizes.MEMORY_ENV
# Below this, a batch of 2 MiB of send logs, or of 8 MiB of 1 MiB deliveries, runs out of memory
# (at 96MB); 128MB holds its default batch (sizes.default_batch: 32 MiB) of either, and 64 MiB.
MIN_MEMORY = 128 * 2**20


def connect_limited(path: Path, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """path opened with DuckDB's memory held to REFSCOPE_INGEST_MEMORY (refused if it is no size,
    or too small) from the start, its write-ahead log's replay included: past it, DuckDB spills
    to the temporary folder. An ingest, rebuild, forget and prune read or copy the whole
    database, which ran at DuckDB's default (80% of the machine's memory).

    Another connection of the process to the same file must be opened the same way: DuckDB
    refuses a second connection with another configuration."""
    limit = memory_bytes()  # refused before the file is opened, which a writer may create
    return db.connect(path, read_only=read_only, memory=limit)


def memory_limit() -> str:
    """REFSCOPE_INGEST_MEMORY as set, else its default: the text an error names."""
    return os.environ.get(MEMORY_ENV, "").strip() or INGEST_MEMORY_LIMIT


def memory_bytes() -> int:
    """REFSCOPE_INGEST_MEMORY in bytes; a value that is no size, or too small, is refused."""
    limit = sizes.size_setting(MEMORY_ENV, sizes.MEMORY_BYTES)
    if limit < MIN_MEMORY:
        least, default = f"{MIN_MEMORY // 2**20}MB", INGEST_MEMORY_LIMIT
        raise ValidationError(
            f"{MEMORY_ENV}={memory_limit()!r}: give at least {least} (default {default})"
        )
    return limit
