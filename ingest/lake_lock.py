"""One sync of a lake at a time. The database's write lock keeps two runs of one file apart, not
two files of one database (a copy, or a rebuilt file moved into the place of one still being
written: one id, so both may write the lake): their syncs ran at once, each clearing the other's
staging folders as a crash's leftovers, and both failed, one with a traceback. A sync holds an
exclusive lock (flock) on the lake's `.sync.lock` file, removed when it ends; another waits."""

from __future__ import annotations

import errno
import fcntl
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from . import file_lock
from .errors import LakeError

NAME = ".sync.lock"  # a killed sync's holds nothing (a lock goes with its process)
WAIT = 30.0  # seconds, as for the database's lock
# flock's errors where the file system has no locks (NFS mounted without its lock service).
NO_LOCKS = {errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOTSUP, errno.ENOSYS}


@contextmanager
def held(lake: Path) -> Iterator[None]:
    """Hold the lake's lock while the block runs, waiting up to WAIT for another sync's; a
    LakeError when that one holds it longer. Without locks on its file system, the block runs
    unlocked, as before there was one."""
    with file_lock.held(lake / NAME, lambda fd: _lock(fd, lake), 0o666):
        yield


def _lock(fd: int, lake: Path) -> None:
    deadline = time.monotonic() + WAIT
    delay = 0.05
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                raise LakeError(
                    f"{lake}: another process is syncing this Parquet lake (this database "
                    "from another file: a copy, or the file a rebuild replaced) and did not "
                    f"finish within {WAIT:.0f} s: nothing was written (the database is up to "
                    "date; the next sync brings the lake in line)"
                ) from None
            time.sleep(delay)
            delay = min(delay * 2, 0.5)
        except OSError as exc:
            if exc.errno in NO_LOCKS:
                return
            raise
