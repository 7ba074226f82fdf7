"""Finding inputs: files, folders (recursively, by log name), globs, each named once.

A folder is read for its logs' names (LOG_SUFFIXES and their .gz); a folder holding none
(only rotated names, `x.ndjson.1`) is said in warnings, not read as "0 files". A Parquet lake
kept among the logs (`ingest data/logs --lake data/logs/lake`) is no input: its manifest has
a log's name, and read as one it was a reject, and a new sync, at every run.
"""

from __future__ import annotations

import glob
import os
import re
import shlex
from collections.abc import Callable, Iterator
from pathlib import Path

from .errors import SourceError
from .lake import MANIFEST, PARTITIONED, WHOLE

LOG_SUFFIXES = (".ndjson", ".jsonl", ".json")
_PACKED = (".xz", ".bz2", ".zst")  # compressions refscope does not read (sources.Unreadable)
_WHOLE_FILES = {MANIFEST, *(f"{table}.parquet" for table in WHOLE)}  # a lake's, beside it


def is_log_name(name: str) -> bool:
    """Whether a folder's file is read as a log, by its name's ending in any case (`X.JSON`,
    `x.NDJSON.GZ`, as a Windows tool or an export may name them). A log compressed otherwise
    (`x.ndjson.xz`) is taken too: the ingest names it as not read, where it went unsaid."""
    name = name.lower()
    base = name.rsplit(".", 1)[0] if name.endswith((".gz", *_PACKED)) else name
    return base.endswith(LOG_SUFFIXES)


def _read_by_name(path: Path) -> bool:
    """Whether a log name is one the ingest reads: not `x.ndjson.xz`, which it only names."""
    return not path.name.lower().endswith(_PACKED)


def is_lake(folder: Path) -> bool:
    """Whether a folder is a Parquet lake: its manifest beside its small tables' files (a sync
    writes them before the manifest). A `_manifest.json` elsewhere may well be a log."""
    return (folder / MANIFEST).is_file() and any(
        (folder / f"{table}.parquet").is_file() for table in WHOLE
    )


def _lake_of(f: Path, lakes: dict[Path, bool]) -> Path | None:
    """The lake f is a file of (its manifest, a small table's file, or a file below one of its
    partitioned tables' folders), or None; lakes caches which folders are lakes."""

    def lake(folder: Path) -> bool:
        if folder not in lakes:
            lakes[folder] = is_lake(folder)
        return lakes[folder]

    f = Path(os.path.abspath(f))  # links not resolved: the lake as the glob named it
    if f.name in _WHOLE_FILES and lake(f.parent):
        return f.parent
    return next((d.parent for d in f.parents if d.name in PARTITIONED and lake(d.parent)), None)


def _table_folder_of(folder: Path) -> Path | None:
    """The lake whose table folder folder is, or is below (`lake/events`,
    `lake/events/page_id=1/date=2026-11-02`), or None."""
    folder = Path(os.path.abspath(folder))
    return next(
        (
            d.parent
            for d in (folder, *folder.parents)
            if d.name in PARTITIONED and is_lake(d.parent)
        ),
        None,
    )


def _walk_once(
    top: str | Path, onerror: Callable[[OSError], None]
) -> Iterator[tuple[str, list[str], list[str]]]:
    """os.walk(top) into linked folders too, each folder once: one reached again (a link back
    up the tree) is not walked twice. Names left out of the dirs yielded are not walked."""
    walked: set[str] = set()
    for dirpath, dirs, files in os.walk(top, onerror=onerror, followlinks=True):
        real = os.path.realpath(dirpath)
        if real in walked:
            dirs.clear()
            continue
        walked.add(real)
        yield dirpath, dirs, files


def _unreadable_dir(exc: OSError) -> None:
    """os.walk skips what it cannot list; a folder of logs left unread is an error here."""
    raise SourceError(f"{exc.filename}: cannot list the folder: {exc.strerror}") from exc


def is_url(spec: str) -> bool:
    """Whether a PATH is an HTTP URL: pulled, not ingested, and no glob for its query's `?`."""
    return re.match(r"https?://", spec, re.IGNORECASE) is not None


# A URL's user info and its query (a password, a signature): not for a message.
_URL_SECRETS = re.compile(r"(?<=://)[^/?#]*@|[?#].*", re.DOTALL)


def missing(spec: str) -> str:
    """Why a PATH that names nothing on disk cannot be read; a URL is pulled, not ingested (and
    named without its user info and query, as `pull logs` names it)."""
    if is_url(spec):
        url = _URL_SECRETS.sub("", spec)
        return f"{url}: a URL, not a file or directory: read it with `refscope pull logs URL`"
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
            skipped: list[str] = []
            logs = _logs_below(p, others, skipped)
            found.update(logs)
            if not any(map(_read_by_name, logs)) and warnings is not None:
                warnings += map(_lake_left_out, dict.fromkeys(skipped))
                if others:
                    warnings.append(_none_read(spec, others))
        elif p.is_file():
            found.add(p)
        elif glob.has_magic(spec) and not is_url(spec):
            found.update(_globbed(spec, warnings))
        elif p.exists():
            raise SourceError(f"{spec}: not a regular file or directory")
        else:
            raise SourceError(missing(spec))
    # A lake's own files, named or matched by a glob (`logs/**` matches its Parquet files too):
    # said, not read. Read, each was a run of rejects, and a sync wrote some anew for the next.
    in_lakes: dict[Path, list[Path]] = {}
    lakes: dict[Path, bool] = {}
    for f in found:
        home = _lake_of(f, lakes)
        if home is not None:
            in_lakes.setdefault(home, []).append(f)
    for home, own in sorted(in_lakes.items()):
        found.difference_update(own)
        if warnings is None:
            continue
        if [f.name for f in own] == [MANIFEST]:
            warnings.append(f"{own[0]}: a Parquet lake's manifest, not a log: left out")
        else:
            # No count: --follow says a warning again only when it changes.
            warnings.append(_lake_left_out(str(home)))
    for f in found:
        if not f.exists():  # a symlink whose target is gone
            raise SourceError(f"{f}: no such file or directory (a broken symlink)")
        if not f.is_file():  # a named pipe or socket in a folder of logs: reading it would hang
            raise SourceError(f"{f}: not a regular file")
        if not os.access(f, os.R_OK):
            raise SourceError(f"{f}: permission denied")
    if warnings is not None:  # a lake named twice (`lake/events lake/contacts`) is said once
        warnings[:] = dict.fromkeys(warnings)
    # Resolved before deduplicating: two spellings (or a symlink) of one file read it once.
    return sorted({f.resolve() for f in found}, key=str)


def _globbed(spec: str, warnings: list[str] | None) -> set[Path]:
    """The logs a glob names. A folder it matches is read for its logs (quoted, as --follow
    needs, its folders were left out). A file it matches is read, unless the glob's file name
    is a bare `*` or `**` (`'logs/**'`, `'data/demo/*'`, "whatever is there"): that picks logs
    by name as a folder does, where it read a `tracked-links.csv` beside them as a log, each
    line a reject. A name the glob shapes (`'logs/webhooks.ndjson*'`, rotated logs included) is
    the user's own choice of files, read as given."""
    files: set[Path] = set()
    others: list[str] = []
    skipped: list[str] = []  # lakes below a folder it matched
    by_name = os.path.basename(spec) in ("*", "**")
    lakes: dict[Path, bool] = {}
    for m in map(Path, _glob(spec)):
        if m.is_dir():
            files.update(_logs_below(m, others, skipped))
        elif m.is_file() and by_name and not is_log_name(m.name) and not _lake_of(m, lakes):
            others.append(os.path.abspath(m))  # a lake's file is said as such by discover
        elif m.is_file():
            files.add(m)
    if not files and not others and not skipped:
        raise SourceError(f"no files match {spec!r}")
    if not any(map(_read_by_name, files)) and warnings is not None:
        warnings += map(_lake_left_out, dict.fromkeys(skipped))
        if others:
            warnings.append(_none_read(spec, others, "a glob's wildcard, as a folder, picks"))
    return files


def _glob(spec: str) -> list[str]:
    """glob.glob(spec, recursive=True), but a `**` searches each folder once: Python's glob
    follows linked folders at every level, and two links back up the tree (`current`,
    `latest`) doubled its search at each one, down to the kernel's limit of links in a path.
    As glob's, a `**` enters no hidden folder; unlike glob's, it stops at one it cannot list."""
    parts = spec.split(os.sep)
    if "**" not in parts:
        _listable(spec)
        return glob.glob(spec, recursive=True)
    i = parts.index("**")
    head = os.sep.join(parts[:i]) or (os.sep if i == 1 else os.curdir)
    rest = parts[i + 1 :]  # [""] for a trailing separator: folders only, as glob's
    found: list[str] = []
    if glob.has_magic(head):
        _listable(head)
    for base in glob.glob(head) if glob.has_magic(head) else [head]:
        for dirpath, dirs, files in _walk_once(base, _unlisted):
            dirs[:] = [d for d in dirs if not d.startswith(".")]
            here = i == 0 and dirpath == base  # the current folder, which glob never names
            if rest:
                found += _glob(os.path.join("" if here else glob.escape(dirpath), *rest))
            else:
                top = [] if here else [dirpath]
                found += [*top, *(os.path.join(dirpath, f) for f in files if f[0] != ".")]
    return found


def _listable(spec: str) -> None:
    """SourceError when a folder glob.glob(spec) lists cannot be listed: glob leaves it out
    without a word (`logs/*/*.ndjson` read the other days' folders, and `logs/sub/*.ndjson`
    matched nothing), where a folder named is an error. glob lists each folder that the parts
    before a part with magic match."""
    folder, name = os.path.split(spec)
    if glob.has_magic(folder):
        _listable(folder)
        folders = glob.glob(folder)
    else:
        folders = [folder or os.curdir]
    if not glob.has_magic(name):
        return
    for d in folders:
        if os.path.isdir(d):
            try:
                os.scandir(d).close()
            except OSError as exc:
                _unlisted(exc)


def _unlisted(exc: OSError) -> None:
    """A folder a glob cannot list is an error, as one named is: its logs were left unread,
    unsaid. One not there (yet, or any more) holds nothing: the glob matches nothing in it."""
    if not isinstance(exc, FileNotFoundError | NotADirectoryError):
        _unreadable_dir(exc)


def _none_read(spec: str, others: list[str], rule: str = "a folder is read for") -> str:
    """others: the paths of the files left out (a glob may reach one twice: `'logs/**'` matches
    each file and the folders above it), said by their names."""
    names = sorted(os.path.basename(p) for p in set(others))
    shown = ", ".join(names[:3]) + (", …" if len(names) > 3 else "")
    return (
        f"{spec}: no file is read by its name ({len(names):,} left out: {shown}): "
        f"{rule} {', '.join('*' + s for s in LOG_SUFFIXES)} and their .gz; "
        "give such a file as a PATH to read it"
    )


def _lake_left_out(home: str) -> str:
    """Said of a lake named (or a folder or file of it): what it is, and what to do instead."""
    return (
        f"{home}: a Parquet lake, not logs: its files are left out (it is what `ingest --lake` "
        f"writes: `refscope dashboard --lake {shlex.quote(home)}` reads it; give `ingest` the "
        "logs it was written from)"
    )


def _logs_below(
    folder: Path, others: list[str] | None = None, lakes: list[str] | None = None
) -> set[Path]:
    """The log files below a folder. A linked folder (an archive on another disk) is read too,
    as a glob reads it; one reached again (a link back up the tree) is not walked twice. Dot
    files and folders are left out; the paths of other files go to others. A lake's own files
    and table folders are not read; its folder goes to lakes."""
    found: set[Path] = set()
    home = _table_folder_of(folder)
    if home is not None:  # a lake's table or partition folder: the lake's, as its files are
        if lakes is not None:
            lakes.append(str(home))
        return found
    for dirpath, dirs, files in _walk_once(folder, _unreadable_dir):
        if MANIFEST in files and is_lake(Path(dirpath)):
            # Its own files and table folders are no logs; logs beside them (a lake written
            # into the logs' own folder, `--lake logs`) are read as anywhere else.
            if lakes is not None:
                lakes.append(os.path.abspath(dirpath))
            dirs[:] = [d for d in dirs if d not in PARTITIONED]
            files = [f for f in files if f not in _WHOLE_FILES]
        # Dot files and folders are not read, as a shell's `*` and a glob's `**` leave them out:
        # an editor's lock link (`.#webhooks.ndjson`, broken by design) stopped the whole run.
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        files = [f for f in files if not f.startswith(".")]
        found.update(Path(dirpath, f) for f in files if is_log_name(f))
        if others is not None:  # paths: a glob's folders may overlap
            others.extend(os.path.abspath(os.path.join(dirpath, f)) for f in files
                          if not is_log_name(f))  # fmt: skip
    return found
