"""One `refscope pull logs` of a URL at a time per database: two cron jobs that overlap would
both read where the last pull stopped, download the same bytes and ingest them twice (their
rejected lines counted twice, the offset set back by whichever finished last). The second
stops at once with a clear message; the next one goes on from where the first ended."""

from __future__ import annotations

import fcntl
import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from . import file_lock
from .errors import SourceError

LOCK_PREFIX = "lock-"  # not the spool files' prefix: a sweep never removes one


@contextmanager
def only_pull(spool_dir: Path, name: str) -> Iterator[None]:
    """Hold the lock of the input `name` (the URL as stored) in spool_dir while the block runs,
    or raise SourceError when another process holds it (file_lock.py: the lock goes with the
    process, and its file with the lock)."""
    digest = hashlib.sha256(name.encode("utf-8", "surrogateescape")).hexdigest()[:16]

    def take(fd: int) -> None:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise SourceError(
                f"{name}: another `refscope pull logs` of this URL into this database is "
                "running; this one stops, nothing read (the next pull goes on from where that "
                "one ends)"
            ) from None

    with file_lock.held(spool_dir / f"{LOCK_PREFIX}{digest}", take, 0o640):
        yield
