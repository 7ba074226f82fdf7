"""What DuckDB spilled beside a database: the temporary files (`duckdb_temp_<pid>_<n>_…`, n
counting the process's database instances) a process writes to `<db>.tmp` when its work
outgrows its memory limit. They hold the rows it worked on as they were (an ingest's raw log
lines, ids before they were hashed, texts). A process removes its own when it closes the
database; one killed (SIGKILL, the OOM killer) leaves them, which DuckDB removes only when a
later process happens to spill, and only when no live process has that pid. An ingest and a
rewrite remove them: a writer of the database holds its lock, so no other process has it open,
and every file there but those its own DuckDB uses (duckdb_temporary_files()) is a dead one's,
also one named with its own pid (pid 1 in one container, then in the next)."""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from pathlib import Path

import duckdb


@dataclass(frozen=True)
class Removed:
    folder: Path
    files: int
    bytes: int


def own_folder(con: duckdb.DuckDBPyConnection) -> Path | None:
    """The temporary folder of con's database when it is DuckDB's default for it (`<db>.tmp`),
    which only processes of this database use; None for a folder set elsewhere (another
    database's processes may spill there)."""
    row = con.execute(
        "SELECT current_setting('temp_directory'), path FROM duckdb_databases() "
        "WHERE database_name = current_database()"
    ).fetchone()
    if row is None or not row[0] or not row[1] or row[0] != row[1] + ".tmp":
        return None
    return Path(row[0])


# A temporary file's name: its process's pid and database instance, then what it holds.
_OWN = re.compile(r"(duckdb_temp_\d+_\d+_).*", re.DOTALL)


def in_use(con: duckdb.DuckDBPyConnection) -> frozenset[str]:
    """The names' beginnings (`duckdb_temp_<pid>_<n>_`) of the temporary files con's database
    instance uses: shared by every connection of this process to the database."""
    rows = con.execute("SELECT path FROM duckdb_temporary_files()").fetchall()
    return frozenset(_OWN.sub(r"\1", Path(p).name) for (p,) in rows)


def remove_left(folder: Path, keep: frozenset[str] = frozenset()) -> Removed:
    """Delete the temporary files in folder (see the module docstring) but those whose names
    begin as one of keep (in_use: this process's own, which its connections may still use);
    call it holding the database's lock. The folder goes when nothing else is in it."""
    files = size = 0
    for f in folder.glob("duckdb_temp*"):
        if f.name.startswith(tuple(keep)):
            continue
        with contextlib.suppress(OSError):
            n = f.lstat().st_size
            f.unlink()
            files, size = files + 1, size + n
    with contextlib.suppress(OSError):
        folder.rmdir()  # only when empty
    return Removed(folder, files, size)


def remove_left_by_dead(con: duckdb.DuckDBPyConnection) -> Removed | None:
    """remove_left in the folder of con's database (whose write connection con is), if DuckDB's
    default, keeping what con's instance uses; None when nothing was removed."""
    folder = own_folder(con)
    if folder is None or not folder.is_dir():
        return None
    removed = remove_left(folder, in_use(con))
    return removed if removed.files else None
