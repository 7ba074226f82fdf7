"""Which files hold what a database read: the inputs a rebuild reads again, found by name, or
by their bytes when renamed, rotated away or gzipped since (`refscope rebuild`).
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import re
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from . import discovery, offsets, sources, spool_marks
from .errors import SourceError

SHOWN = 10  # inputs named in an error; the rest are counted
URL = re.compile(r"https?://", re.IGNORECASE)


@dataclass
class Inputs:
    """The files to read, and the old database's inputs they do not cover."""

    files: list[Path]
    missing: list[str] = field(default_factory=list)  # read before, not among the files
    changed: list[str] = field(default_factory=list)  # among them, no longer what was read
    pulled: list[str] = field(default_factory=list)  # URLs read by `pull logs`: no file to read
    covered: dict[str, Path] = field(default_factory=dict)  # each input read: the file holding it
    given: bool = False  # files from PATHs (else the old inputs still on disk)

    def problem(self) -> str | None:
        parts = []
        if self.missing:
            where = "among the PATHs given" if self.given else "found now"
            parts.append(f"read before and not {where}: {_names(self.missing)}")
        if self.pulled:
            parts.append(f"pulled over HTTP, not files (pull them again into the new file "
                         f"after the rebuild): {_names(self.pulled)}")  # fmt: skip
        if self.changed:
            parts.append(f"changed since they were read (rotated or rewritten: the lines read "
                         f"then are no longer in them): {_names(self.changed)}")  # fmt: skip
        return "; ".join(parts) or None


def _names(keys: list[str]) -> str:
    more = f" and {len(keys) - SHOWN:,} more" if len(keys) > SHOWN else ""
    return ", ".join(keys[:SHOWN]) + more


def inputs(old: duckdb.DuckDBPyConnection, paths: list[str]) -> Inputs:
    """The files a rebuild reads: paths (files, folders, globs), or with none every input the
    old database read that is still a file (or gzipped since: `x.ndjson.gz` for `x.ndjson`)."""
    states = offsets.file_states(old)
    if paths:
        files = discovery.discover(paths)
    else:
        files = sorted({f for f in map(_on_disk, states) if f is not None})
    named = {same(f): f for f in files}
    twins = {same(_gz_twin(f)): f for f in files if f.suffix == ".gz"}
    res = Inputs(files, given=bool(paths))
    for key, state in sorted(states.items()):
        if URL.match(key):  # by a file given that holds what the pull read (the export saved)
            holder = next((f for f in files if _holds_pulled(f, state)), None) if paths else None
            if holder is not None:
                res.covered[key] = holder
            else:
                res.pulled.append(key)
        elif (holder := next((f for f in files if _holds(f, key, state)), None)) is not None:
            res.covered[key] = holder  # by its name, gzipped, or renamed or rotated away
        elif same(Path(key)) in named:
            res.changed.append(key)
        elif same(Path(key)) in twins:  # gzipped since, but not holding what was read
            res.changed.append(f"{key} (now {twins[same(Path(key))].name})")
        else:
            res.missing.append(key)
    return res


def _holds(path: Path, key: str, state: sources.FileState) -> bool:
    """Whether path holds what was read of the input key: it is that file, or another that
    starts with the same bytes (the log renamed, or rotated away to `x.ndjson.1`)."""
    if path.suffix == ".gz" and not key.endswith(".gz"):
        return _gz_holds(path, state)  # a plain log gzipped since (`x.ndjson.1.gz`, too)
    if path.suffix != ".gz" and key.endswith(".gz"):
        return False
    if same(path) != same(Path(key)):
        read = state.size if key.endswith(".gz") else state.offset_done
        try:
            if path.stat().st_size < read:
                return False  # too short to hold it (checked before reading anything of it)
        except OSError:
            return False
    return not _changed(path, state)


def _holds_pulled(path: Path, state: sources.FileState) -> bool:
    """Whether path's text (decompressed, when gzip) has, before the offset a pull of a URL read
    to, the bytes whose fingerprint the pull stored (spool_marks: tail:, gztail:)."""
    mark = state.head_hash.partition(" ")[0]
    found = spool_marks.TAIL.fullmatch(mark) or spool_marks.GZ_TAIL.fullmatch(mark)
    if found is None:  # no fingerprint of the text (pulled by an older version): unknown
        return False
    n, at = int(found.group(1)), state.offset_done
    try:
        with (gzip.open if spool_marks.is_gzip(path) else open)(path, "rb") as fh:
            fh.seek(max(at - n, 0))
            text = fh.read(n)
    except (OSError, EOFError, zlib.error):
        return False  # unreadable, damaged, or ends before what was read
    return len(text) == n and hashlib.md5(text).hexdigest() == found.group(2)


def _gz_holds(path: Path, state: sources.FileState) -> bool:
    """Whether a .gz decompresses to what was read of a plain log: the same fingerprint
    (sources.fingerprint) of its first offset_done bytes; the first HEAD_BYTES are compared
    first, so that a .gz of another log is not decompressed any further."""
    n = state.offset_done
    head_hash, _, tail_hash = state.head_hash.partition("+")
    try:
        with gzip.open(path, "rb") as fh:
            head = fh.read(min(n, sources.HEAD_BYTES))
            if hashlib.md5(head).hexdigest() != head_hash:
                return False
            if not tail_hash:  # a database written before the tail was fingerprinted
                return len(head) == min(n, sources.HEAD_BYTES)
            start = max(n - sources.HEAD_BYTES, 0)
            fh.seek(start)
            tail = fh.read(n - start)
    except (OSError, EOFError, zlib.error):
        return False  # damaged, or ends before what was read: not the same lines
    return hashlib.md5(tail).hexdigest() == tail_hash


def _on_disk(key: str) -> Path | None:
    for p in (Path(key), Path(key + ".gz")):
        if p.is_file():
            return p
    return None


def _gz_twin(p: Path) -> Path:
    """The name a log had before it was gzipped (x.ndjson for x.ndjson.gz)."""
    return p.with_suffix("") if p.suffix == ".gz" else p


def same(p: Path) -> str:
    """p as the file it names (links and `..` resolved), to tell two names of one file."""
    with contextlib.suppress(OSError):
        return str(p.resolve())
    return str(p)


def _changed(path: Path, state: sources.FileState) -> bool:
    """Whether path no longer starts with what was read of it (a plain log rotated in place)."""
    try:
        plan = sources.plan(path, state)
    except SourceError:
        return True
    return isinstance(plan, sources.Plan) and plan.replaced
