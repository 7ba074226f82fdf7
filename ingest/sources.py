"""Input files → chunks of whole lines, each with its first line number and byte offsets.

Owns reading only what a previous run has not consumed (discovery.py finds the inputs). It
knows nothing of JSON: a chunk is bytes that end at a newline.
"""

from __future__ import annotations

import gzip
import os
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, cast

from . import gz_cut, wide_ends
from .errors import SourceError
from .file_marks import HEAD_BYTES as HEAD_BYTES
from .file_marks import Marks, identity_of
from .file_marks import ReplacedWhileRead as ReplacedWhileRead
from .file_marks import fingerprint as fingerprint
from .file_marks import prefix_hash as prefix_hash
from .file_marks import same_start as _same_start
from .sizes import batch_bytes
from .spool_marks import TextTail

GZ_PIECES = 4  # a .gz is read in chunks of a quarter of the batch size


class TruncatedGzip(SourceError):
    """A .gz whose compressed stream ends early (a file still being written): every whole line
    before the cut was yielded; the rest is read by a later run, once the file is complete."""


class Unreadable(SourceError):
    """A file of xz, bzip2 or zstd data: read as text, its compressed bytes were a run of
    rejects. Left out with a warning naming it; the other inputs are read."""


@dataclass(frozen=True)
class FileState:
    """How far a path was read by earlier runs (a row of `ingest_files`)."""

    size: int
    mtime_ns: int
    head_hash: str
    offset_done: int
    lines_done: int


@dataclass(frozen=True)
class Chunk:
    data: memoryview  # whole lines; the last may lack its newline only at the end of the file
    first_line: int  # 1-based number of the first line in the file
    end_offset: int  # (uncompressed) offset just after the last complete line
    lines_done: int  # complete lines in the file up to end_offset
    # A .gz's compressed bytes read up to this chunk's end: what a progress bar counts, since
    # its total is the files' sizes on disk (a plain file's chunk counts its own length).
    disk_at: int = 0
    # The fingerprint to record at end_offset, of the bytes read (file_marks.Marks), or None.
    mark: str | None = None
    # A document's bodies (documents.py): the line each starts on, and the lines of the file
    # they cover. A chunk of lines numbers them from first_line, one each.
    line_nos: tuple[int, ...] | None = None
    lines: int = 0
    # The file is UTF-16 text in this byte order (wide_ends.LE or BE; documents.py tells):
    # so is each line, and data's first byte is at offset `at` of it (its code units).
    utf16: str = ""
    at: int = 0


@dataclass(frozen=True)
class Plan:
    """What to read from one file in this run."""

    path: Path
    size: int
    mtime_ns: int
    is_gz: bool
    start_offset: int
    start_line: int  # lines already consumed before start_offset
    replaced: bool  # the file is not the one read before: read from the start
    name: str | None = None  # the input's name in the database (a pulled URL); default: path
    read_from: int | None = None  # where reading starts in `path`; default: start_offset
    fingerprint: str | None = None  # stored instead of the head hash (an HTTP validator)
    identity: tuple[int, int] | None = None  # (device, inode) when planned: a rotation shows
    # (bytes, fingerprint) of the file as planned (read to, a .gz: its size), checked once open
    expect: tuple[int, str] | None = None

    @property
    def key(self) -> str:
        return self.name or path_key(self.path)

    @property
    def local_start(self) -> int:
        return self.start_offset if self.read_from is None else self.read_from


def path_key(path: Path) -> str:
    """A file's name in the database: its path, with bytes that are not UTF-8 (a name made on
    another system) written as \\xNN, so that it can be stored and found again."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


@dataclass(frozen=True)
class Touched:
    """A file with nothing to read whose size or mtime changed since it was recorded (touched,
    or grown while a run read it): its new ones, for the next plan's quick check."""

    key: str
    size: int
    mtime_ns: int


def plan(path: Path, state: FileState | None) -> Plan | Touched | None:
    """Decide what to read from path: nothing (unchanged, or only touched), the new bytes, or
    all of it.

    A plain file that grew is read from where the last run stopped; one that shrank, or whose
    first bytes changed, was replaced and is read from the start (dedupe absorbs the overlap).
    A .gz that grew (appended members) is decompressed and its consumed part skipped.
    """
    try:
        st = path.stat()
    except FileNotFoundError as exc:  # as while it waited for another process's lock
        raise _removed(path) from exc
    except OSError as exc:
        raise SourceError(f"{path}: {exc.strerror}") from exc
    if state is not None and st.st_size == state.size and st.st_mtime_ns == state.mtime_ns:
        return None
    gz = path.suffix.lower() == ".gz"  # `x.NDJSON.GZ` too
    packing = _packing(path)
    if packing not in (None, "gzip"):  # reading on, or up to a cut, is built for gzip alone
        raise Unreadable(f"{path}: {packing} data, which refscope does not read: left out "
                         "(decompress it, or compress it with gzip, to have it read)")  # fmt: skip
    if not gz and packing == "gzip":
        # Read as text, its compressed bytes were a run of `invalid UTF-8` rejects.
        raise SourceError(f"{path}: gzip data in a file not named .gz: rename it {path.name}.gz")
    identity = (st.st_dev, st.st_ino)
    fresh = Plan(path, st.st_size, st.st_mtime_ns, gz, 0, 0, state is not None, identity=identity)
    if state is None:
        return fresh
    if gz:
        # Appended members leave the old bytes as they were, to their last: a file compressed
        # anew from a copy of its start has the same first 4 KiB, not the same end.
        grown = st.st_size >= state.size and _same_start(path, state.size, state.head_hash)
    else:
        grown = (
            st.st_size >= state.offset_done
            and _same_start(path, state.offset_done, state.head_hash)
            and _ends_line(path, state.offset_done)
        )
    if not grown:
        return fresh
    # Nothing past what was read: touched, or grown while the last run read it (to the end it
    # found, past the size it planned: --follow beside a live receiver). Read, it was a run of
    # its own with 0 lines. (A plain file cut back to its offset has rejects to clear, and a
    # .gz read part-way by a stopped run, its mtime -1, the rest to read: both are read.)
    if gz:
        nothing_new = st.st_size == state.size and state.mtime_ns != -1
    else:
        nothing_new = st.st_size == state.offset_done >= state.size
    if nothing_new:
        return Touched(path_key(path), st.st_size, st.st_mtime_ns)
    return Plan(path, st.st_size, st.st_mtime_ns, gz, state.offset_done, state.lines_done, False,
                identity=identity, expect=(state.size if gz else state.offset_done,
                                           state.head_hash))  # fmt: skip


def _removed(path: Path) -> ReplacedWhileRead:
    """A listed file removed (a retention job) or rotated away since: nothing of it is there to
    read; it is left out, and the other inputs are read as usual."""
    return ReplacedWhileRead(f"{path}: removed (rotated?) since this run listed it: not read")


def _packing(path: Path) -> str | None:
    """The compression of the file's data by its first bytes (gzip, xz, bzip2, zstd), or None."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(6)
    except OSError as exc:
        raise SourceError(f"{path}: {exc.strerror}") from exc
    if head.startswith(b"\x1f\x8b"):
        return "gzip"
    if head == b"\xfd7zXZ\x00":
        return "xz"
    if re.match(rb"BZh[1-9]", head):
        return "bzip2"
    return "zstd" if head.startswith(b"\x28\xb5\x2f\xfd") else None


def _not_gzip(path: Path) -> str:
    """Advice for a file named .gz whose data is no compressed data at all (text, most often),
    as the other way round: nothing of it was read."""
    if path.suffix.lower() != ".gz" or _packing(path) is not None:
        return ""
    return f" (its data is not compressed: rename it {path.with_suffix('').name} to have it read)"


def _ends_line(path: Path, offset: int) -> bool:
    if offset == 0:
        return True
    with open(path, "rb") as fh:
        fh.seek(offset - 1)
        return fh.read(1) == b"\n"


def open_plan(p: Plan) -> IO[bytes]:
    """p's file open to read (through gzip's reader for a .gz), checked to be the one planned."""
    opener = gzip.open if p.is_gz else open
    try:
        fh = opener(p.path, "rb")
    except FileNotFoundError as exc:
        if p.name is not None:  # a pulled input's spool file: not a log rotated away
            raise SourceError(f"{p.path}: {exc.strerror}") from exc
        raise _removed(p.path) from exc  # after it was planned, before its new file exists
    except OSError as exc:
        raise SourceError(f"{p.path}: {exc.strerror}") from exc
    if p.identity is not None and identity_of(fh.fileno()) != p.identity:
        fh.close()
        raise ReplacedWhileRead(
            f"{p.path}: replaced (rotated?) since this run listed it: read by the next run"
        )
    return cast(IO[bytes], fh)


def read_chunks(p: Plan, chunk_bytes: int | None = None, utf16: str = "") -> Iterator[Chunk]:
    """Yield the unread part of a file as chunks of whole lines.

    A last line without its newline is yielded too, but the offset stops before it, so a
    later run re-reads it once the writer has finished it. A plain file is read so that each
    chunk starts on a line (seeking back over the cut line): no bytes are copied twice.
    """
    with open_plan(p) as fh:
        yield from read_lines(p, fh, chunk_bytes, utf16=utf16)


def read_lines(
    p: Plan,
    fh: IO[bytes],
    chunk_bytes: int | None = None,
    ahead: bytes | None = None,
    utf16: str = "",
) -> Iterator[Chunk]:
    """read_chunks of fh, p's file as open_plan opened it: at its start, or (ahead given) at
    p.local_start + len(ahead), ahead being the bytes from p.local_start read already. Each
    chunk says utf16: the byte order of the file's UTF-16 text, "" for other (documents.py
    tells), whose lines end at the code unit 0x000A alone (wide_ends)."""
    chunk_bytes = chunk_bytes or batch_bytes()
    if p.is_gz:
        # How much a .gz holds is known only once decompressed, so a batch cannot be committed
        # before its next chunk is read: smaller chunks keep what is held meanwhile small.
        chunk_bytes = max(chunk_bytes // GZ_PIECES, 1)
    offset, line = p.start_offset, p.start_line
    cut_short = False
    marks = gz_mark = None  # the fingerprint recorded, of the bytes read (not pulled)
    # A pulled input's, of its last lines read: recorded when its pull stops part-way.
    tail = TextTail(p.is_gz) if p.name is not None else None
    try:
        if p.expect is not None and not Marks(fh.fileno(), p.expect[0]).holds(p.expect[1]):
            # Cut and written again since it was planned (copytruncate, `gzip -c > x.gz`):
            # read on from the offset, the new content's first bytes were lost.
            raise ReplacedWhileRead(f"{p.path}: rewritten (truncated?) since this run "
                                    "listed it: read by the next run")  # fmt: skip
        if p.fingerprint is None:  # a .gz's of its size as planned, taken now it is open
            marks = Marks(fh.fileno(), p.size if p.is_gz else p.local_start)
            gz_mark = marks.fingerprint() if p.is_gz else None
        if ahead is None:
            _skip(fh, p.local_start, p.is_gz)
        elif ahead:
            fh = cast(IO[bytes], _Ahead(fh, ahead))
        carry = b""
        while True:
            try:
                block = fh.read(chunk_bytes)
            except EOFError:
                if not p.is_gz:
                    raise
                # The stream ends early: that read's bytes are lost with the error, so they
                # are decoded again by zlib, up to the cut.
                at = p.local_start + offset - p.start_offset + len(carry)
                buf = carry + gz_cut.before_cut(p.path, at)
                cut, n = wide_ends.last_end(buf, offset, utf16, True)
                if cut:
                    mark = tail.add(buf[:cut]) if tail else gz_mark
                    yield Chunk(memoryview(buf)[:cut], line + 1, offset + cut, line + n,
                                p.size, mark, utf16=utf16, at=offset)  # fmt: skip
                    line += n
                cut_short = True
                break
            if not block:
                break
            buf = carry + block if carry else block
            # A short read is the file's end: a line of UTF-16 text may end at its last byte.
            cut, n = wide_ends.last_end(buf, offset, utf16, len(block) < chunk_bytes)
            if cut == 0 and len(block) == chunk_bytes:
                if not p.is_gz:
                    fh.seek(-len(block), os.SEEK_CUR)
                    chunk_bytes *= 2  # one line longer than a chunk: read more at once
                    continue
                carry = buf
                continue
            if cut == 0:
                carry = buf
                continue
            if cut < len(buf) and not p.is_gz:
                fh.seek(cut - len(buf), os.SEEK_CUR)  # the cut line starts the next chunk
                data, carry = memoryview(buf)[:cut], b""
            else:
                data, carry = (memoryview(buf)[:cut], buf[cut:]) if cut < len(buf) else (
                    memoryview(buf), b"")  # fmt: skip
            mark = tail.add(data) if tail else gz_mark or (marks.add(data) if marks else None)
            yield Chunk(data, line + 1, offset + cut, line + n, _disk_at(fh, p), mark,
                        utf16=utf16, at=offset)  # fmt: skip
            offset += cut
            line += n
    except gzip.BadGzipFile as exc:
        if not (p.is_gz and gz_cut.header_begun(p.path)):
            raise SourceError(f"{p.path}: cannot read: {exc}{_not_gzip(p.path)}") from exc
        cut_short = True  # caught before its gzip header was all written
    except (OSError, EOFError, zlib.error) as exc:
        raise SourceError(f"{p.path}: cannot read: {exc}") from exc
    except MemoryError as exc:  # a read takes room for a whole chunk before it reads
        raise SourceError(
            f"{p.path}: no memory for a chunk of {chunk_bytes / 2**20:,.0f} MiB: lower "
            "REFSCOPE_INGEST_BATCH"
        ) from exc
    if cut_short:
        # The part-line before the cut is not read: the file is incomplete, not its line.
        raise TruncatedGzip(
            f"{p.path}: the compressed stream ends early (still being written?): read to "
            f"line {line:,}; the rest is read once the file is complete"
        )
    if carry:
        mark = tail.mark() if tail else gz_mark or (marks.fingerprint() if marks else None)
        yield Chunk(memoryview(carry), line + 1, offset, line, _disk_at(fh, p), mark,
                    utf16=utf16, at=offset)  # fmt: skip


def _disk_at(fh: object, p: Plan) -> int:
    """How far into a .gz on disk its reader is (read-ahead included; 0 for a plain file)."""
    return fh.fileobj.tell() if p.is_gz else 0  # type: ignore[attr-defined]


def _skip(fh: object, offset: int, gz: bool) -> None:
    if not offset:
        return
    if gz:
        remaining = offset
        while remaining:
            got = fh.read(min(remaining, 16 << 20))  # type: ignore[attr-defined]
            if not got:
                break
            remaining -= len(got)
    else:
        fh.seek(offset)  # type: ignore[attr-defined]


class _Ahead:
    """A file read on from bytes of it read already: those first, then the file's own."""

    def __init__(self, fh: IO[bytes], ahead: bytes) -> None:
        self._fh, self._ahead, self._at = fh, memoryview(ahead), 0

    def read(self, n: int) -> bytes:
        got = bytes(self._ahead[self._at : self._at + n])
        self._at += len(got)
        return got + self._fh.read(n - len(got)) if len(got) < n else got

    def seek(self, offset: int, whence: int) -> int:
        """A seek from where reading stands (os.SEEK_CUR): the bytes ahead are let go."""
        left, self._ahead = len(self._ahead) - self._at, memoryview(b"")
        self._at = 0
        return self._fh.seek(offset - left, whence)

    @property
    def fileobj(self) -> object:  # a .gz's file on disk (_disk_at)
        return self._fh.fileobj  # type: ignore[attr-defined]
