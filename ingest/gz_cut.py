"""A .gz cut short (still being written): what of it can be read, and whether it has only begun.

sources.read_chunks reads a .gz through gzip's reader, which drops its last read where the
compressed stream ends early: the bytes up to the cut are decoded again here, by zlib.
"""

from __future__ import annotations

import zlib
from pathlib import Path

_GZIP_HEADER = 10  # bytes: magic (1f 8b), method (08), flags, mtime, extra flags, OS
GZIP_WBITS = 16 + zlib.MAX_WBITS  # zlib reads a gzip member, header and trailer included


def header_begun(path: Path) -> bool:
    """Whether the file holds only the start of a gzip header (its writer just began)."""
    with open(path, "rb") as fh:
        head = fh.read(_GZIP_HEADER)
    return len(head) < _GZIP_HEADER and b"\x1f\x8b\x08".startswith(head[:3])


def before_cut(path: Path, start: int) -> bytes:
    """The decompressed bytes of a truncated .gz from start up to where it ends: zlib hands
    over all it could decode (gzip's reader drops its last read at the cut). Each member of a
    multi-member file in turn; trailing bytes that start no member end it, as for gzip."""
    kept: list[bytes] = []
    at = 0  # decompressed bytes so far
    inflate = zlib.decompressobj(GZIP_WBITS)
    with open(path, "rb") as fh:
        while raw := fh.read(1 << 20):
            while raw:
                try:
                    data = inflate.decompress(raw)
                except zlib.error:
                    return b"".join(kept)
                if at + len(data) > start:
                    kept.append(data[max(start - at, 0) :])
                at += len(data)
                raw = b""
                if inflate.eof:  # a member ends: what follows starts the next one
                    raw = inflate.unused_data
                    inflate = zlib.decompressobj(GZIP_WBITS)
    return b"".join(kept)
