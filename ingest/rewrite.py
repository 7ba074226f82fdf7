"""The database file written anew, so that deleted rows leave no bytes in it (`forget`, and
`prune --rewrite`).

DuckDB only marks a deleted row as deleted: its bytes stay in the file until new rows happen to
take their blocks (CHECKPOINT keeps them, VACUUM does not rewrite, VACUUM FULL is not
implemented). A rewrite copies the database into `<db>.partial` with COPY FROM DATABASE (every
schema, table with its constraints, view, sequence, macro and type:
<https://duckdb.org/docs/stable/sql/statements/copy#copy-from-database--to>), checks that the
copy holds the same objects and rows, makes it durable and renames it over the database. The
caller's write connection holds the database's lock throughout, and the new file is locked
before it takes the database's name, so no other process writes the old file meanwhile or opens
the new one before the old connection is closed. Stopped or failed part-way, it removes the
partial file and leaves the database as it was.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb

from . import db
from .errors import DatabaseError
from .spills import in_use, own_folder, remove_left

ALIAS = "rs_rewrite"  # the copy, attached beside the database
# What the copy must hold as the database does: each object, as DuckDB writes it out again.
CATALOG = """
SELECT 'schema', schema_name, '', coalesce(comment, '') FROM duckdb_schemas()
 WHERE database_name = $db
UNION ALL SELECT 'table', schema_name, table_name, sql || coalesce(comment, '')
 FROM duckdb_tables() WHERE database_name = $db
UNION ALL SELECT 'column', schema_name, table_name || '.' || column_name,
       concat_ws(' ', column_index, data_type, is_nullable, column_default, comment)
 FROM duckdb_columns() WHERE database_name = $db
UNION ALL SELECT 'constraint', schema_name, table_name, constraint_text
 FROM duckdb_constraints() WHERE database_name = $db
UNION ALL SELECT 'view', schema_name, view_name, sql || coalesce(comment, '')
 FROM duckdb_views() WHERE database_name = $db AND NOT internal
UNION ALL SELECT 'index', schema_name, index_name, sql FROM duckdb_indexes()
 WHERE database_name = $db
UNION ALL SELECT 'sequence', schema_name, sequence_name,
       concat_ws(' ', start_value, min_value, max_value, increment_by, cycle, last_value)
 FROM duckdb_sequences() WHERE database_name = $db
UNION ALL SELECT 'macro', schema_name, function_name, macro_definition
 FROM duckdb_functions() WHERE database_name = $db AND NOT internal
UNION ALL SELECT 'type', schema_name, type_name, logical_type FROM duckdb_types()
 WHERE database_name = $db AND NOT internal
ORDER BY ALL
"""


@dataclass(frozen=True)
class Rewritten:
    before: int  # bytes of the database file (and its write-ahead log) before
    after: int  # and of the file written anew


def _name(x: str) -> str:
    return '"' + x.replace('"', '""') + '"'


def rewrite(con: duckdb.DuckDBPyConnection, path: Path) -> Rewritten:
    """Write the database anew in place of path, whose write connection con is: con is closed
    when this returns or raises. A symbolic link stays: the file it names is replaced."""
    real = path.resolve()
    work = db.partial(real)
    before = sum(p.stat().st_size for p in (real, db.wal(real)) if p.exists())
    db.checkpoint(con, "the change")  # the old write-ahead log must not outlive the rename
    if db.wal(real).exists():
        raise DatabaseError(f"{db.wal(real)}: left after a checkpoint; {path} was not rewritten")
    for f in (work, db.wal(work)):  # left by a rewrite killed part-way: none runs, con has the lock
        f.unlink(missing_ok=True)
    (old,) = con.execute("SELECT current_database()").fetchone() or ("",)
    spills = own_folder(con)
    alias = ALIAS if old != ALIAS else ALIAS + "_new"
    try:
        with no_wider_than(real):
            con.execute(f"ATTACH '{str(work).replace(chr(39), chr(39) * 2)}' AS {alias}")
            con.execute(f"COPY FROM DATABASE {_name(old)} TO {alias}")
            _check_same(con, old, alias, path)
            con.execute(f"DETACH {alias}")  # writes the copy into its file
        if db.wal(work).exists():
            raise DatabaseError(f"{work}: its write-ahead log was not folded in")
        _replace(con, work, real, spills)
    except BaseException as exc:
        con.close()  # the copy too, before its files go (a close would write them again)
        for f in (work, db.wal(work)):
            f.unlink(missing_ok=True)
        if isinstance(exc, duckdb.Error | OSError):
            msg = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            raise DatabaseError(f"cannot write {work}: {msg}") from exc
        raise
    return Rewritten(before, real.stat().st_size)


@contextlib.contextmanager
def no_wider_than(real: Path) -> Iterator[None]:
    """Files made meanwhile (the copy, its write-ahead log) are readable by no group or other
    that cannot read the database: the copy holds everyone's data from its first bytes, and
    stays if the process is killed, whatever the umask gives."""
    umask = os.umask(0o077)
    try:
        os.umask(umask | (0o077 & ~stat.S_IMODE(real.stat().st_mode)))
        yield
    finally:
        os.umask(umask)


def _check_same(con: duckdb.DuckDBPyConnection, old: str, new: str, path: Path) -> None:
    """Refuse a copy that differs from the database in any object, or in any table's rows (their
    number and the sum of their hashes)."""
    catalogs = [con.execute(CATALOG, {"db": name}).fetchall() for name in (old, new)]
    if catalogs[0] != catalogs[1]:
        differ = sorted(set(catalogs[0]) ^ set(catalogs[1]))[0]
        raise DatabaseError(f"the copy of {path} differs from it in its {differ[0]} "
                            f"{differ[1]}.{differ[2]}; {path} was not rewritten")  # fmt: skip
    for kind, schema, table, _ in catalogs[0]:
        if kind != "table":
            continue
        rows = [con.execute(f"SELECT count(*), sum(hash(rs_row)) FROM {_name(name)}."
                            f"{_name(schema)}.{_name(table)} AS rs_row").fetchone()
                for name in (old, new)]  # fmt: skip
        if rows[0] != rows[1]:
            raise DatabaseError(f"the copy of {path} differs from it in the rows of {table}; "
                                f"{path} was not rewritten")  # fmt: skip


def _replace(con: duckdb.DuckDBPyConnection, work: Path, real: Path, spills: Path | None) -> None:
    """Rename the whole, durable copy over the database, with the database's mode and owner.
    The copy is locked first as DuckDB locks a database (fcntl), until con is closed: a process
    waiting for the database cannot open the new file while con may still write the old one's
    write-ahead log by its name. Then, no process having the database open, what is left in its
    temporary folder (spills) is a killed process's (spills.py)."""
    st = real.stat()
    fd = os.open(work, os.O_RDWR)
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.fchmod(fd, stat.S_IMODE(st.st_mode))
        if (st.st_uid, st.st_gid) != (os.getuid(), os.getgid()):
            with contextlib.suppress(PermissionError):  # only root gives a file away
                os.fchown(fd, st.st_uid, st.st_gid)
        os.fsync(fd)
        os.rename(work, real)
        folder = os.open(real.parent, os.O_RDONLY)
        try:
            os.fsync(folder)  # the rename itself
        finally:
            os.close(folder)
        keep = in_use(con)  # its instance's, if another connection of this process keeps it
        con.close()
        if spills is not None:
            remove_left(spills, keep)
    finally:
        os.close(fd)
