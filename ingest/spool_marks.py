"""What a pulled log's download (a spool file) holds, for `pull logs` to tell a grown log from a
replaced one: whether it is gzip or NDJSON text, and fingerprints of the text before its last
newline (where the ingest stops) and before the offset a last pull read to."""

from __future__ import annotations

import gzip
import hashlib
import os
import re
import zlib
from dataclasses import dataclass
from pathlib import Path

OVERLAP = 4096  # bytes before the offset whose md5 proves the file is the same one
BLOCK = 1024 * 1024
# tail:<n>:<md5> of the n bytes before a plain download's last newline; gztail: the same of
# the text a gzip download decompresses to. Stored before the HTTP validator, a space between.
TAIL = re.compile(r"tail:(\d+):([0-9a-f]{32})")
GZ_TAIL = re.compile(r"gztail:(\d+):([0-9a-f]{32})")


def validator_part(head_hash: str) -> str:
    """The HTTP validator (etag:…, last-modified:…) of a pulled input's stored fingerprint."""
    mark, _, rest = head_hash.partition(" ")
    return rest if TAIL.fullmatch(mark) or GZ_TAIL.fullmatch(mark) else head_hash


def same(spool: Path, at: int, n: int, digest: str) -> bool:
    """Whether the spool's n bytes from at are those whose md5 is digest."""
    with open(spool, "rb") as fh:
        fh.seek(at)
        return hashlib.md5(fh.read(n)).hexdigest() == digest


def is_gzip(spool: Path) -> bool:
    """The file starts with gzip's magic bytes (no NDJSON line does: 0x1f is a control byte)."""
    with open(spool, "rb") as fh:
        return fh.read(2) == b"\x1f\x8b"


def starts_as_ndjson(spool: Path) -> bool:
    """Its first line that is not blank opens a JSON object (or there is none)."""
    with open(spool, "rb") as fh:
        head = fh.read(64 * 1024).removeprefix(b"\xef\xbb\xbf").lstrip()
    return head[:1] in (b"{", b"")


def tail_fingerprint(spool: Path, skip: int, start: int) -> str:
    """tail:<n>:<md5> of the last ≤OVERLAP bytes before the spool's last newline."""
    with open(spool, "rb") as fh:
        fh.seek(0, os.SEEK_END)
        end = fh.tell()
        pos = end
        while pos > 0:
            step = min(BLOCK, pos)
            fh.seek(pos - step)
            block = fh.read(step)
            nl = block.rfind(b"\n")
            if nl != -1:
                cut = pos - step + nl + 1
                break
            pos -= step
        else:
            return ""
        if cut <= skip:
            return ""  # nothing new was completed: keep the old fingerprint
        n = min(OVERLAP, cut)
        fh.seek(cut - n)
        return f"tail:{n}:{hashlib.md5(fh.read(n)).hexdigest()}"


@dataclass(frozen=True)
class TextMarks:
    """What a download's text (a gzip one's decompressed) holds, read in one pass."""

    length: int  # bytes of text
    tail: str  # gztail:<n>:<md5> before its last newline; "" with none
    before: str  # md5 of the bytes asked for (before a last pull's offset); "" if too short


def text_marks(spool: Path, gz: bool, at: int, n: int) -> TextMarks | None:
    """The text's length, the fingerprint of its end, and the md5 of its n bytes before at;
    None when it cannot be read to its end (a gzip stream cut short or damaged)."""
    want = (max(at - n, 0), at)
    before, recent, tail, pos = b"", b"", "", 0
    try:
        with (gzip.open if gz else open)(spool, "rb") as fh:
            while block := fh.read(BLOCK):
                lo, hi = max(want[0] - pos, 0), min(want[1] - pos, len(block))
                if lo < hi:
                    before += block[lo:hi]
                nl = block.rfind(b"\n")
                if nl != -1:
                    kept = (recent + block[: nl + 1])[-OVERLAP:]
                    tail = f"gztail:{len(kept)}:{hashlib.md5(kept).hexdigest()}"
                recent = (recent + block)[-OVERLAP:]
                pos += len(block)
    except (OSError, EOFError, zlib.error):
        return None
    whole = len(before) == want[1] - want[0] and pos >= at
    return TextMarks(pos, tail, hashlib.md5(before).hexdigest() if whole else "")
