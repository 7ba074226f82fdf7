"""What DuckDB spilled beside a database: the temporary files (`duckdb_temp_<pid>_…`) a process
writes to `<db>.tmp` when its work outgrows its memory limit. They hold the rows it worked on
as they were (an ingest's raw log lines, ids before they were hashed, texts). A process removes
its own when it closes the database; one killed (SIGKILL, the OOM killer) leaves them, which
DuckDB removes only when a later process happens to spill. An ingest and a rewrite remove them:
a writer of the database holds its lock, so no other process has it open, and the files another
process left there are a dead one's.
"""

from __future__ import annotations

import contextlib
import os
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


def remove_left(folder: Path) -> Removed:
    """Delete the temporary files other processes left in folder (see the module docstring);
    call it holding the database's lock. This process's own (named with its pid) are left to
    its connections, which may still use them; the folder goes when nothing else is in it."""
    own = f"duckdb_temp_{os.getpid()}_"
    files = size = 0
    for f in folder.glob("duckdb_temp*"):
        if f.name.startswith(own):
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
    default; None when nothing was removed."""
    folder = own_folder(con)
    if folder is None or not folder.is_dir():
        return None
    removed = remove_left(folder)
    return removed if removed.files else None
