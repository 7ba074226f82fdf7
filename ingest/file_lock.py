"""A lock held on a file of its own, removed when it ends (no file left behind): a pull's, a lake
sync's. The lock (flock) goes with its process: one killed (SIGKILL, the OOM killer) holds none,
and the next takes over its file."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def held(path: Path, take: Callable[[int], None], mode: int) -> Iterator[None]:
    """Hold the lock of the file at path (made with mode, less the umask) while the block runs;
    take(fd) locks the open file, or raises. The file is removed at the end, while still held:
    a process that opened it just before checks, once it holds the lock, that the name still
    leads to what it locked, else opens it anew."""
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, mode)
        try:
            take(fd)
        except BaseException:
            os.close(fd)
            raise
        if _leads_to(path, fd):
            break
        os.close(fd)  # removed by the holder that ended meanwhile: not the lock any more
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
