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
from typing import BinaryIO

from . import reasons, wide_ends

OVERLAP = 4096  # bytes before the offset whose md5 proves the file is the same one
BLOCK = 1024 * 1024
PEEK = 64 * 1024  # bytes before a pulled log's offset that tell its text as UTF-16, at most
# tail:<n>:<md5> of the n bytes before a plain download's last newline; gztail: the same of
# the text a gzip download decompresses to. Stored before the HTTP validator, a space between.
TAIL = re.compile(r"tail:(\d+):([0-9a-f]{32})")
GZ_TAIL = re.compile(r"gztail:(\d+):([0-9a-f]{32})")


class TextTail:
    """The fingerprint (tail:, or gztail: of a gzip download's text) of the last OVERLAP bytes
    of a pulled log's lines read so far: what a pull stopped part-way records with the offset
    its committed lines reached, for the next pull to go on from there (sources.read_lines)."""

    def __init__(self, gz: bool) -> None:
        self.kind = "gztail" if gz else "tail"
        self.held = b""

    def add(self, data: bytes | memoryview) -> str | None:
        """The fingerprint once data (whole lines, read on from the last ones) is read too."""
        self.held = (self.held + bytes(data[-OVERLAP:]))[-OVERLAP:]
        return self.mark()

    def mark(self) -> str | None:
        if not self.held:
            return None
        return f"{self.kind}:{len(self.held)}:{hashlib.md5(self.held).hexdigest()}"


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
    """tail:<n>:<md5> of the last ≤OVERLAP bytes before the spool's last line end (of UTF-16
    text, or of UTF-8 text with UTF-16 text appended, as the ingest reads it: wide_ends), its
    byte skip at offset start of the log."""
    with open(spool, "rb") as fh:
        order = _order(fh, skip, start)
        wide = bool(order) or _holds_zero(fh, skip)
        cut = _wide_end(fh, skip, start, order) if wide else _last_newline(fh)
        if cut <= skip:
            return ""  # nothing new was completed: keep the old fingerprint
        n = min(OVERLAP, cut)
        fh.seek(cut - n)
        return f"tail:{n}:{hashlib.md5(fh.read(n)).hexdigest()}"


def _last_newline(fh: BinaryIO) -> int:
    """The offset just past the file's last newline, 0 if none: read from its end."""
    fh.seek(0, os.SEEK_END)
    pos = fh.tell()
    while pos > 0:
        step = min(BLOCK, pos)
        fh.seek(pos - step)
        nl = fh.read(step).rfind(b"\n")
        if nl != -1:
            return pos - step + nl + 1
        pos -= step
    return 0


def _holds_zero(fh: BinaryIO, skip: int) -> bool:
    """Whether the spool holds a zero byte from its byte skip on (no UTF-8 log line does)."""
    fh.seek(skip)
    while block := fh.read(BLOCK):
        if b"\x00" in block:
            return True
    return False


def _wide_end(fh: BinaryIO, skip: int, start: int, order: str) -> int:
    """The offset just past the spool's last line end of UTF-16 text in byte order `order` (""
    for UTF-8 text with UTF-16 lines appended), read on from its byte skip (offset start of
    the log, a line's start) as the ingest reads it (wide_ends.last_end), skip if none."""
    fh.seek(skip)
    carry, at, cut = b"", skip, skip
    while True:
        block = fh.read(BLOCK)
        buf = carry + block
        got, _ = wide_ends.last_end(buf, at - skip + start, order, not block)
        cut = at + got if got else cut
        carry, at = buf[got:], at + got
        if not block:
            return cut


def _order(fh: BinaryIO, skip: int, start: int) -> str:
    """The byte order of the spool's UTF-16 text ("" for other): its byte skip is at offset
    start of the log, a line end read to before (reasons.utf16_order_before)."""
    fh.seek(max(skip - PEEK, 0))
    if skip == 0:
        return reasons.utf16_order(fh.read(PEEK))
    return reasons.utf16_order_before(fh.read(skip - fh.tell()), start)


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
    before, tail, pos = b"", "", 0
    # The text's UTF-16 byte order ("" for other); its last line, not ended yet; the
    # OVERLAP bytes before that line
    order, carry, prior = None, b"", b""
    try:
        with (gzip.open if gz else open)(spool, "rb") as fh:
            while True:
                block = fh.read(BLOCK)
                lo, hi = max(want[0] - pos, 0), min(want[1] - pos, len(block))
                if lo < hi:
                    before += block[lo:hi]
                order = reasons.utf16_order(block) if order is None else order
                # The last line end, of UTF-16 text (or of UTF-8 text with UTF-16 text
                # appended) as the ingest reads it (wide_ends): the lines are read on from
                # the last one's start, which tells a line of UTF-16 text.
                buf = carry + block
                got, _ = wide_ends.last_end(buf, pos - len(carry), order or "", not block)
                if got:
                    prior = (prior + buf[max(got - OVERLAP, 0) : got])[-OVERLAP:]
                    tail = f"gztail:{len(prior)}:{hashlib.md5(prior).hexdigest()}"
                carry = buf[got:]
                pos += len(block)
                if not block:
                    break
    except (OSError, EOFError, zlib.error):
        return None
    whole = len(before) == want[1] - want[0] and pos >= at
    return TextMarks(pos, tail, hashlib.md5(before).hexdigest() if whole else "")
