"""Sizes in bytes given in the environment: the ingest's batch (REFSCOPE_INGEST_BATCH) and
memory (REFSCOPE_INGEST_MEMORY), the receiver's largest body (REFSCOPE_MAX_BODY)."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping

from .errors import SourceError
from .wording import counted

CHUNK_BYTES = 128 * 1024 * 1024  # the largest default batch: fewer, larger batches commit faster
MEMORY_ENV = "REFSCOPE_INGEST_MEMORY"
MEMORY_BYTES = 600 * 2**20  # its default: DuckDB's share of memory in an ingest
# Parsing a batch takes DuckDB some 100 MB whatever its size, and more with it: at 128MB,
# batches of 1 MiB deliveries fit up to 64 MiB, not 128 MiB (which fit 192MB); demo-data's logs
# (with send logs) fit 128 MiB. By default a batch is this part of the memory share, so every
# share accepted (memory_share.MIN_MEMORY) holds its default batch with a margin.
MEMORY_PER_BATCH = 4
MAX_SIZE = 2**40  # the largest size setting: 1 TiB
_SIZE = re.compile(r"(\d+)\s*([KMG]?)(?:i?B)?", re.IGNORECASE)


def batch_bytes() -> int:
    """The batch size: REFSCOPE_INGEST_BATCH ("8MB", "512KiB", bytes), else default_batch of
    REFSCOPE_INGEST_MEMORY."""
    explicit = size_setting("REFSCOPE_INGEST_BATCH", 0)  # a set size is never 0
    return explicit or default_batch(size_setting(MEMORY_ENV, MEMORY_BYTES))


def default_batch(memory: int) -> int:
    """The batch size for a memory share of memory bytes: a MEMORY_PER_BATCH-th of it, at most
    CHUNK_BYTES (the default share, 600MB, gives CHUNK_BYTES)."""
    return min(CHUNK_BYTES, memory // MEMORY_PER_BATCH)


def size_text(n: int) -> str:
    """A size in bytes as a person reads it: "512 bytes", "27.5 KiB", "1.2 MiB", "3.0 GiB"."""
    if n < 1024:
        return counted(n, "byte")
    size, unit = n / 1024, "KiB"
    for larger in ("MiB", "GiB"):
        if round(size, 1) < 1024:  # 1,048,575 bytes is 1.0 MiB, not 1,024.0 KiB
            break
        size, unit = size / 1024, larger
    return f"{size:,.1f} {unit}"


def size_setting(name: str, default: int, environ: Mapping[str, str] = os.environ) -> int:
    """A size in bytes from the environment variable `name` ("8MB", "512KiB", "1048576"; K, M
    and G are powers of 1024), or default when it is unset."""
    spec = environ.get(name, "").strip()
    if not spec:
        return default
    m = _SIZE.fullmatch(spec)
    if m is None or int(m.group(1)) == 0:
        raise SourceError(f"{name}={spec!r}: give a size such as 8MB or 512KB")
    size = int(m.group(1)) * 1024 ** " KMG".index(m.group(2).upper() or " ")
    if size > MAX_SIZE:  # no read or memory limit takes it
        raise SourceError(f"{name}={spec!r}: give a size of at most 1024G")
    return size
