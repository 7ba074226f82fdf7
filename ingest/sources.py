"""Input files → chunks of whole lines, each with its first line number and byte offsets.

Owns finding inputs (files, directories, globs, .gz) and reading only what a previous run has
not consumed. It knows nothing of JSON: a chunk is bytes that end at a newline.
"""

from __future__ import annotations

import glob
import gzip
import hashlib
import os
import re
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from .errors import SourceError

LOG_SUFFIXES = (".ndjson", ".jsonl", ".json")
CHUNK_BYTES = 128 * 1024 * 1024  # the batch size: fewer, larger batches commit faster
GZ_PIECES = 4  # a .gz is read in chunks of a quarter of the batch size
HEAD_BYTES = 4096  # the fingerprint that tells a replaced file from a grown one
MAX_SIZE = 2**40  # the largest size setting: 1 TiB
_SIZE = re.compile(r"(\d+)\s*([KMG]?)(?:i?B)?", re.IGNORECASE)


class ReplacedWhileRead(SourceError):
    """A file replaced under its name (rotated), or removed, after it was planned: its plan (an
    offset into the file it replaced) is not for it; nothing of it is read, and the next run
    plans anew."""


class TruncatedGzip(SourceError):
    """A .gz whose compressed stream ends early (a file still being written): every whole line
    before the cut was yielded; the rest is read by a later run, once the file is complete."""


def batch_bytes() -> int:
    """The batch size: CHUNK_BYTES, or REFSCOPE_INGEST_BATCH ("8MB", "512KiB", bytes)."""
    return size_setting("REFSCOPE_INGEST_BATCH", CHUNK_BYTES)


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

    @property
    def key(self) -> str:
        return self.name or path_key(self.path)

    @property
    def local_start(self) -> int:
        return self.start_offset if self.read_from is None else self.read_from


def is_log_name(name: str) -> bool:
    base = name[:-3] if name.endswith(".gz") else name
    return base.endswith(LOG_SUFFIXES)


def _unreadable_dir(exc: OSError) -> None:
    """os.walk skips what it cannot list; a folder of logs left unread is an error here."""
    raise SourceError(f"{exc.filename}: cannot list the folder: {exc.strerror}") from exc


def path_key(path: Path) -> str:
    """A file's name in the database: its path, with bytes that are not UTF-8 (a name made on
    another system) written as \\xNN, so that it can be stored and found again."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def missing(spec: str) -> str:
    """Why a PATH that names nothing on disk cannot be read; a URL is pulled, not ingested."""
    if re.match(r"https?://", spec, re.IGNORECASE):
        return f"{spec}: a URL, not a file or directory: read it with `refscope pull logs URL`"
    return f"{spec}: no such file or directory"


def discover(paths: list[str], warnings: list[str] | None = None) -> list[Path]:
    """Expand files, directories (recursively) and globs into a sorted list of log files.

    A directory none of whose files has a log name (only rotated ones, `x.ndjson.1`) is said
    in warnings: "0 files" alone read as if everything had been read before."""
    found: set[Path] = set()
    for spec in paths:
        if not spec.strip():
            # Path("") is the current folder: an unset $LOGDIR must not read all of it.
            raise SourceError("an empty PATH: give a file, a directory or a glob")
        p = Path(spec)
        if p.is_dir():
            others: list[str] = []
            logs = _logs_below(p, others)
            found.update(logs)
            if not logs and others and warnings is not None:
                warnings.append(_none_read(spec, others))
        elif p.is_file():
            found.add(p)
        elif glob.has_magic(spec):
            # Each match is read as if named on its own: a folder for its logs, as when the
            # shell expands the glob (quoted, as --follow needs, its folders were left out).
            files: set[Path] = set()
            for m in map(Path, glob.glob(spec, recursive=True)):
                files.update(_logs_below(m) if m.is_dir() else [m] if m.is_file() else [])
            if not files:
                raise SourceError(f"no files match {spec!r}")
            found.update(files)
        elif p.exists():
            raise SourceError(f"{spec}: not a regular file or directory")
        else:
            raise SourceError(missing(spec))
    for f in found:
        if not f.exists():  # a symlink whose target is gone
            raise SourceError(f"{f}: no such file or directory (a broken symlink)")
        if not f.is_file():  # a named pipe or socket in a folder of logs: reading it would hang
            raise SourceError(f"{f}: not a regular file")
        if not os.access(f, os.R_OK):
            raise SourceError(f"{f}: permission denied")
    # Resolved before deduplicating: two spellings (or a symlink) of one file read it once.
    return sorted({f.resolve() for f in found}, key=str)


def _none_read(spec: str, others: list[str]) -> str:
    names = sorted(others)
    shown = ", ".join(names[:3]) + (", …" if len(names) > 3 else "")
    return (
        f"{spec}: no file is read by its name ({len(names):,} left out: {shown}): "
        f"a folder is read for {', '.join('*' + s for s in LOG_SUFFIXES)} and their .gz; "
        "give such a file as a PATH to read it"
    )


def _logs_below(folder: Path, others: list[str] | None = None) -> set[Path]:
    """The log files below a folder. A linked folder (an archive on another disk) is read too,
    as a glob reads it; one reached again (a link back up the tree) is not walked twice. The
    names of other files (not dot files) go to others."""
    found: set[Path] = set()
    walked: set[str] = set()
    for dirpath, dirs, files in os.walk(folder, onerror=_unreadable_dir, followlinks=True):
        real = os.path.realpath(dirpath)
        if real in walked:
            dirs.clear()
            continue
        walked.add(real)
        found.update(Path(dirpath, f) for f in files if is_log_name(f))
        if others is not None:
            others.extend(f for f in files if not is_log_name(f) and not f.startswith("."))
    return found


def fingerprint(path: Path, offset: int) -> str:
    """What a file read to offset (a .gz: its size) is told apart by: md5s of its first
    HEAD_BYTES and of the HEAD_BYTES before offset (a file rewritten from a copy of its start
    differs there)."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(min(offset, HEAD_BYTES))
            start = max(offset - HEAD_BYTES, 0)
            fh.seek(start)
            tail = fh.read(offset - start)
    except OSError as exc:
        raise SourceError(f"{path}: {exc.strerror}") from exc
    return f"{hashlib.md5(head).hexdigest()}+{hashlib.md5(tail).hexdigest()}"


def _same_start(path: Path, offset: int, stored: str) -> bool:
    """Whether the file's first offset bytes are (by fingerprint) those read before. A
    database written before the tail was fingerprinted holds the head's md5 alone."""
    if "+" in stored:
        return fingerprint(path, offset) == stored
    return prefix_hash(path, offset) == stored


def prefix_hash(path: Path, n: int) -> str:
    """md5 of the first n bytes (at most HEAD_BYTES) as stored: the fingerprint of a file."""
    try:
        with open(path, "rb") as fh:
            return hashlib.md5(fh.read(min(n, HEAD_BYTES))).hexdigest()
    except OSError as exc:
        raise SourceError(f"{path}: {exc.strerror}") from exc


def plan(path: Path, state: FileState | None) -> Plan | None:
    """Decide what to read from path: nothing (unchanged), the new bytes, or all of it.

    A plain file that grew is read from where the last run stopped; one that shrank, or whose
    first bytes changed, was replaced and is read from the start (dedupe absorbs the overlap).
    A .gz that grew (appended members) is decompressed and its consumed part skipped.
    """
    try:
        st = path.stat()
    except OSError as exc:
        raise SourceError(f"{path}: {exc.strerror}") from exc
    if state is not None and st.st_size == state.size and st.st_mtime_ns == state.mtime_ns:
        return None
    gz = path.suffix == ".gz"
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
    return Plan(path, st.st_size, st.st_mtime_ns, gz, state.offset_done, state.lines_done, False,
                identity=identity)  # fmt: skip


def _ends_line(path: Path, offset: int) -> bool:
    if offset == 0:
        return True
    with open(path, "rb") as fh:
        fh.seek(offset - 1)
        return fh.read(1) == b"\n"


def read_chunks(p: Plan, chunk_bytes: int | None = None) -> Iterator[Chunk]:
    """Yield the unread part of a file as chunks of whole lines.

    A last line without its newline is yielded too, but the offset stops before it, so a
    later run re-reads it once the writer has finished it. A plain file is read so that each
    chunk starts on a line (seeking back over the cut line): no bytes are copied twice.
    """
    chunk_bytes = chunk_bytes or batch_bytes()
    if p.is_gz:
        # How much a .gz holds is known only once decompressed, so a batch cannot be committed
        # before its next chunk is read: smaller chunks keep what is held meanwhile small.
        chunk_bytes = max(chunk_bytes // GZ_PIECES, 1)
    opener = gzip.open if p.is_gz else open
    try:
        fh = opener(p.path, "rb")
    except FileNotFoundError as exc:
        if p.name is not None:  # a pulled input's spool file: not a log rotated away
            raise SourceError(f"{p.path}: {exc.strerror}") from exc
        # Removed (a retention job) or rotated away before its new file exists: nothing of it
        # is there to read, and the other inputs are read as usual.
        raise ReplacedWhileRead(
            f"{p.path}: removed (rotated?) since this run listed it: not read"
        ) from exc
    except OSError as exc:
        raise SourceError(f"{p.path}: {exc.strerror}") from exc
    with fh:
        if p.identity is not None and _identity(fh) != p.identity:
            raise ReplacedWhileRead(
                f"{p.path}: replaced (rotated?) since this run listed it: read by the next run"
            )
        offset, line = p.start_offset, p.start_line
        cut_short = False
        try:
            _skip(fh, p.local_start, p.is_gz)
            carry = b""
            while True:
                try:
                    block = fh.read(chunk_bytes)
                except EOFError:
                    if not p.is_gz:
                        raise
                    # The stream ends early: that read's bytes are lost with the error, so they
                    # are read again in small pieces, up to the cut.
                    at = p.local_start + offset - p.start_offset + len(carry)
                    buf = carry + _before_cut(p.path, at)
                    cut = buf.rfind(b"\n") + 1
                    if cut:
                        n = buf.count(b"\n", 0, cut)
                        yield Chunk(memoryview(buf)[:cut], line + 1, offset + cut, line + n,
                                    p.size)  # fmt: skip
                        line += n
                    cut_short = True
                    break
                if not block:
                    break
                buf = carry + block if carry else block
                cut = buf.rfind(b"\n") + 1
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
                n = buf.count(b"\n", 0, cut)
                yield Chunk(data, line + 1, offset + cut, line + n, _disk_at(fh, p))
                offset += cut
                line += n
        except gzip.BadGzipFile as exc:
            if not (p.is_gz and _header_begun(p.path)):
                raise SourceError(f"{p.path}: cannot read: {exc}") from exc
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
            yield Chunk(memoryview(carry), line + 1, offset, line, _disk_at(fh, p))


def _disk_at(fh: object, p: Plan) -> int:
    """How far into a .gz on disk its reader is (read-ahead included; 0 for a plain file)."""
    return fh.fileobj.tell() if p.is_gz else 0  # type: ignore[attr-defined]


def _identity(fh: object) -> tuple[int, int]:
    st = os.fstat(fh.fileno())  # type: ignore[attr-defined]
    return st.st_dev, st.st_ino


_GZIP_HEADER = 10  # bytes: magic (1f 8b), method (08), flags, mtime, extra flags, OS


def _header_begun(path: Path) -> bool:
    """Whether the file holds only the start of a gzip header (its writer just began)."""
    with open(path, "rb") as fh:
        head = fh.read(_GZIP_HEADER)
    return len(head) < _GZIP_HEADER and b"\x1f\x8b\x08".startswith(head[:3])


TRUNCATED_PIECE = 64 * 1024  # what a .gz cut short may lose before the cut, at most


def _before_cut(path: Path, start: int) -> bytes:
    """The decompressed bytes of a truncated .gz from start up to (about) where it ends."""
    pieces: list[bytes] = []
    with gzip.open(path, "rb") as fh:
        _skip(fh, start, True)
        try:
            while piece := fh.read(TRUNCATED_PIECE):
                pieces.append(piece)
        except EOFError:
            pass
    return b"".join(pieces)


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
