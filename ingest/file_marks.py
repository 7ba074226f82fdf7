"""A plain file's fingerprint: what tells the file read to an offset from one replaced, or cut
and written again, under its name (sources.plan compares it, offsets.record stores it).

A reader keeps the fingerprint of the bytes it read (Marks). Taken from the file again when the
batch commits, it was the new content's if the file had been cut and written again meanwhile
(logrotate's copytruncate): stored with the old offset, the next run skipped as many new bytes.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from .errors import SourceError

HEAD_BYTES = 4096  # the fingerprint that tells a replaced file from a grown one


class ReplacedWhileRead(SourceError):
    """A file replaced under its name (rotated), or removed, after it was listed or planned: its
    plan (an offset into the file it replaced) is not for it; nothing of it is read, and the
    next run plans anew."""


def _md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def fingerprint(path: Path, offset: int, identity: tuple[int, int] | None = None) -> str:
    """What a file read to offset (a .gz: its size) is told apart by: md5s of its first
    HEAD_BYTES and of the HEAD_BYTES before offset (a file rewritten from a copy of its start
    differs there).

    With identity (the read file's device and inode): ReplacedWhileRead when path names another
    file by now, or none. The new file's fingerprint stored with the old one's offset would
    have the next run skip as many of its bytes."""
    try:
        with open(path, "rb") as fh:
            if identity is not None and identity_of(fh.fileno()) != identity:
                raise ReplacedWhileRead(f"{path}: replaced (rotated?) while this run read it")
            head = fh.read(min(offset, HEAD_BYTES))
            start = max(offset - HEAD_BYTES, 0)
            fh.seek(start)
            tail = fh.read(offset - start)
    except FileNotFoundError as exc:
        if identity is not None:
            raise ReplacedWhileRead(f"{path}: removed while this run read it") from exc
        raise SourceError(f"{path}: {exc.strerror}") from exc
    except OSError as exc:
        raise SourceError(f"{path}: {exc.strerror}") from exc
    return f"{_md5(head)}+{_md5(tail)}"


def same_start(path: Path, offset: int, stored: str) -> bool:
    """Whether the file's first offset bytes are (by fingerprint) those read before. A
    database written before the tail was fingerprinted holds the head's md5 alone."""
    if "+" in stored:
        return fingerprint(path, offset) == stored
    return prefix_hash(path, offset) == stored


def prefix_hash(path: Path, n: int) -> str:
    """md5 of the first n bytes (at most HEAD_BYTES) as stored: the fingerprint of a file."""
    try:
        with open(path, "rb") as fh:
            return _md5(fh.read(min(n, HEAD_BYTES)))
    except OSError as exc:
        raise SourceError(f"{path}: {exc.strerror}") from exc


def check_identity(path: Path, identity: tuple[int, int]) -> None:
    """ReplacedWhileRead when path names another file than the one read (identity), or none."""
    try:
        st = os.stat(path)
    except FileNotFoundError as exc:
        raise ReplacedWhileRead(f"{path}: removed while this run read it") from exc
    except OSError as exc:
        raise SourceError(f"{path}: {exc.strerror}") from exc
    if (st.st_dev, st.st_ino) != identity:
        raise ReplacedWhileRead(f"{path}: replaced (rotated?) while this run read it")


def identity_of(fd: int) -> tuple[int, int]:
    st = os.fstat(fd)
    return st.st_dev, st.st_ino


class Marks:
    """The fingerprint of a plain file read from start on, kept from the bytes read: the bytes
    before start are read once, from the open file, when reading begins."""

    def __init__(self, fd: int, start: int) -> None:
        n = min(start, HEAD_BYTES)
        self.head = os.pread(fd, n, 0)  # the file's first bytes, up to HEAD_BYTES
        self.tail = os.pread(fd, n, start - n)  # the HEAD_BYTES before the offset read to

    def holds(self, stored: str) -> bool:
        """Whether the bytes before start are those a fingerprint stored was taken of."""
        if "+" in stored:
            return self.fingerprint() == stored
        return _md5(self.head) == stored

    def add(self, data: memoryview) -> str:
        """The fingerprint once data, the bytes after those read so far, is read too."""
        if len(self.head) < HEAD_BYTES:
            self.head += bytes(data[: HEAD_BYTES - len(self.head)])
        self.tail = (self.tail + bytes(data[-HEAD_BYTES:]))[-HEAD_BYTES:]
        return self.fingerprint()

    def fingerprint(self) -> str:
        return f"{_md5(self.head)}+{_md5(self.tail)}"
