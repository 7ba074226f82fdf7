"""One `refscope pull logs` of a URL at a time per database: two cron jobs that overlap would
both read where the last pull stopped, download the same bytes and ingest them twice (their
rejected lines counted twice, the offset set back by whichever finished last). The second
stops at once with a clear message; the next one goes on from where the first ended."""

from __future__ import annotations

import fcntl
import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .errors import SourceError

LOCK_PREFIX = "lock-"  # not the spool files' prefix: a sweep never removes one


@contextmanager
def only_pull(spool_dir: Path, name: str) -> Iterator[None]:
    """Hold the lock of the input `name` (the URL as stored) in spool_dir while the block runs,
    or raise SourceError when another process holds it. The lock goes with the process: one
    killed (SIGKILL, the OOM killer) holds none, and the next pull takes over its file. The
    file is removed at the end, while still held: a pull that opened it just before checks,
    once it holds the lock, that the name still leads to what it locked, else opens it anew."""
    digest = hashlib.sha256(name.encode("utf-8", "surrogateescape")).hexdigest()[:16]
    path = spool_dir / f"{LOCK_PREFIX}{digest}"
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o640)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise SourceError(
                f"{name}: another `refscope pull logs` of this URL into this database is "
                "running; this one stops, nothing read (the next pull goes on from where that "
                "one ends)"
            ) from None
        if _leads_to(path, fd):
            break
        os.close(fd)  # removed by the pull that ended meanwhile: not the lock any more
    try:
        yield
    finally:
        try:
            path.unlink(missing_ok=True)
        finally:
            os.close(fd)  # releases the lock


def _leads_to(path: Path, fd: int) -> bool:
    try:
        st = path.stat()
    except FileNotFoundError:
        return False
    held = os.fstat(fd)
    return (st.st_dev, st.st_ino) == (held.st_dev, held.st_ino)
