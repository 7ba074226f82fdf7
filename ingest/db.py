"""The DuckDB file: connect (writing or read-only), apply the schema, retry while locked.

DuckDB lets one process write a file or many read it, never both: a connection that finds the
file locked retries for a while, then says so clearly.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from .errors import DatabaseError, DatabaseLocked
from .schema import check_columns, check_refscope, objects, schema_sql, stand_in_tables

DEFAULT_DB = Path("data/refscope.duckdb")
LOCK_WAIT_SECONDS = 30.0  # how long to wait for another process's write lock before giving up
# Called once when a connect has waited this long for a lock, with the path and the seconds it
# will still wait: the CLI says so, rather than sit silent (a library prints nothing itself).
LOCK_NOTICE_AFTER = 1.0
on_lock_wait: Callable[[Path, float], None] | None = None
NOT_DUCKDB = "not a DuckDB database file"
ZERO_BYTES = ("a file of 0 bytes, not a DuckDB database: remove it (`refscope ingest` then "
              "makes one there) or give another --db")  # fmt: skip
EMPTY = "an empty database, no data yet; run `refscope ingest` first"
_LOCK_HINTS = ("lock", "Conflicting", "being used by another")


def db_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The database file: the argument, else REFSCOPE_DB, else data/refscope.duckdb."""
    if explicit:
        return Path(explicit)
    return Path(os.environ.get("REFSCOPE_DB") or DEFAULT_DB)


def wal(path: Path) -> Path:
    """The write-ahead log DuckDB keeps beside a database file."""
    return path.with_name(path.name + ".wal")


def check_name(path: Path) -> None:
    r"""Refuse a path with a backslash: DuckDB reads it as a folder separator on every system,
    and opened another file (`--db 'db\'` wrote `db`; `rebuild --out 'new\'` failed, its
    `new\.partial` opened as `new/.partial`)."""
    if "\\" in str(path):
        raise DatabaseError(
            f"{path}: a backslash in a database's path: DuckDB reads it as a folder separator "
            "and would open another file; give a path without one"
        )


def partial(path: Path) -> Path:
    """Where a new database file is written before it is renamed to path, once whole (rebuild,
    rewrite), so that path never names a half-written file."""
    return path.with_name(path.name + ".partial")


# How many of migrations.MIGRATIONS a database has had, as the comment of its `events` table.
MIGRATED = "refscope migrations: {}"
_MIGRATIONS_DONE = """SELECT comment FROM duckdb_tables()
WHERE database_name = current_database() AND schema_name = 'main' AND table_name = 'events'"""


def duckdb_config(read_only: bool) -> dict[str, str | bool | int | float | list[str]]:
    # A home directory of our own: DuckDB must never try to write extensions to ~/.duckdb.
    home = Path(tempfile.gettempdir()) / "refscope-duckdb-home"
    home.mkdir(exist_ok=True)
    return {
        "home_directory": str(home),
        "autoinstall_known_extensions": False,
        "autoload_known_extensions": True,
        "TimeZone": "UTC",
        "access_mode": "READ_ONLY" if read_only else "READ_WRITE",
    }


def connect_memory() -> duckdb.DuckDBPyConnection:
    """An in-memory database with the same settings (reading a Parquet lake)."""
    config = duckdb_config(read_only=False)
    del config["access_mode"]
    con = duckdb.connect(":memory:", config=config)
    con.execute("SET enable_progress_bar = false")
    return con


def connect(
    path: Path, *, read_only: bool = False, wait: float = LOCK_WAIT_SECONDS, memory: int = 0
) -> duckdb.DuckDBPyConnection:
    """Open the database; a writer also creates it and applies the schema. memory: DuckDB's
    memory limit in bytes from the start (memory_share.connect_limited), else its default.

    Opening replays the write-ahead log a process left without a checkpoint (killed, or its
    disk full), and a limit set once open came too late for it: a 930 MB log took 1 GiB."""
    check_name(path)
    if read_only and not path.exists():
        raise DatabaseError(f"{path}: no database yet; run `refscope ingest` first")
    if not read_only:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except (FileExistsError, NotADirectoryError) as exc:  # said as 'File exists' alone
            raise DatabaseError(
                f"{path}: cannot make its folder {path.parent}: {exc.strerror}: {NOT_A_FOLDER}"
            ) from exc
    new = not os.path.lexists(path)
    started = time.monotonic()
    deadline = started + wait
    delay = 0.05
    told = False
    while True:
        try:
            config = duckdb_config(read_only) | ({"memory_limit": f"{memory}B"} if memory else {})
            con = duckdb.connect(str(path), read_only=read_only, config=config)
            break
        except duckdb.IOException as exc:
            msg = str(exc)
            now = time.monotonic()
            if any(h in msg for h in _LOCK_HINTS) and now < deadline:
                if not told and on_lock_wait is not None and now - started >= LOCK_NOTICE_AFTER:
                    on_lock_wait(path, deadline - now)
                    told = True
                time.sleep(delay)
                delay = min(delay * 2, 0.5)
                continue
            if any(h in msg for h in _LOCK_HINTS):
                raise DatabaseLocked(f"{path}: locked by another process") from exc
            if new and not read_only:
                drop_cut_header(path)
            if _is_sqlite(path):
                # DuckDB reaches for its sqlite extension, and its error says to install it.
                msg = "a SQLite file, not a DuckDB database"
            elif _size(path) == 0:  # `touch`, or a copy that wrote nothing: DuckDB's "not valid"
                msg = ZERO_BYTES
            elif damaged(exc):  # cut short in its header: its advice, as a query's error has
                msg = f"{msg}: {DAMAGED}"
            raise DatabaseError(f"{path}: cannot open: {msg}") from exc
        except duckdb.Error as exc:
            if "in-memory database in read-only mode" in str(exc):  # a data file, read-only
                raise DatabaseError(f"{path}: cannot open: {NOT_DUCKDB}") from exc
            raise DatabaseError(f"{path}: cannot open: {exc}") from exc
    try:
        return _ready(con, path, read_only)
    except BaseException:
        con.close()  # a stop (Ctrl-C, SIGTERM) too: no connection left holding the file
        raise


def _ready(
    con: duckdb.DuckDBPyConnection, path: Path, read_only: bool
) -> duckdb.DuckDBPyConnection:
    """con as connect returns it: a database file (not another file's data), its schema
    applied by a writer."""
    if _in_memory(con):
        # An existing JSON, CSV or Parquet file is opened as an in-memory database over its
        # data: a run would report what it stored and store nothing.
        con.close()
        raise DatabaseError(f"{path}: cannot open: {NOT_DUCKDB}")
    con.execute("SET enable_progress_bar = false")  # a library prints nothing of its own
    if read_only:
        try:  # a reader too: a query of its missing column ended in DuckDB's traceback
            check_columns(con, path)
        except DatabaseError:
            con.close()
            raise
        stand_in_tables(con)
    if not read_only:
        # All tables or none: a process killed while creating them leaves no half schema.
        try:
            with transaction(con):
                check_refscope(con, path)  # another program's objects, none of refscope's
                done = _migrations_done(con)  # before the schema: None for a new database
                con.execute(schema_sql())
                check_columns(con, path)  # rolls the schema back out of another's database
                migrate(con, done)
        except DatabaseError:
            # Rolled back: the file stays byte for byte as it was, and so does a .wal left
            # beside it, which closing would otherwise fold into it.
            with contextlib.suppress(duckdb.Error):
                con.execute("PRAGMA disable_checkpoint_on_shutdown")
            con.close()
            raise
        except duckdb.Error as exc:
            con.close()
            raise DatabaseError(f"{path}: cannot apply the schema: {exc}") from exc
    return con


HEADER_BYTES = 3 * 4096  # DuckDB's file header and its two database headers


def drop_cut_header(path: Path) -> None:
    """Remove the file a failed open just made (a full disk took part of its header, or none):
    left, every later open refused it as no DuckDB file, or as one cut short. A file as long as
    the header is a database, and stays."""
    with contextlib.suppress(OSError):
        if path.stat().st_size < HEADER_BYTES:
            path.unlink()


def _migrations_done(con: duckdb.DuckDBPyConnection) -> int | None:
    """How many of MIGRATIONS the database has had (0 for one an older refscope wrote, which
    kept no count); None when it has no `events` table yet."""
    row = con.execute(_MIGRATIONS_DONE).fetchone()
    if row is None:
        return None
    m = re.fullmatch(MIGRATED.format(r"(\d+)"), row[0] or "")
    return int(m.group(1)) if m else 0


def migrate(con: duckdb.DuckDBPyConnection, done: int | None = 0) -> None:
    """Run the MIGRATIONS after the first done of them (None: a new database, which has no
    rows to make right) and record that all are done."""
    from .migrations import MIGRATIONS  # it reads privacy.py, which reads this module

    if done is not None:
        if done >= len(MIGRATIONS):
            return
        for migration in MIGRATIONS[done:]:
            migration(con)
    con.execute(f"COMMENT ON TABLE events IS '{MIGRATED.format(len(MIGRATIONS))}'")


# DuckDB's words for a file cut short (a copy to a full disk) or whose bytes changed.
_DAMAGED = ("Could not read enough bytes from file", "Corrupt database file")
DAMAGED = ("the database file is damaged (cut short, or its bytes changed): restore it from a "
           "copy, or ingest the logs into a new one (another --db)")  # fmt: skip


def damaged(exc: BaseException) -> bool:
    """DuckDB's error on reading a damaged database file, which can come from any query."""
    return isinstance(exc, duckdb.Error) and any(h in str(exc) for h in _DAMAGED)


NOT_A_FOLDER = "a part of that path is a file, not a folder"
SQLITE_MAGIC = b"SQLite format 3\x00"  # the first 16 bytes of every SQLite database file


def not_refscope(path: Path | str, exc: duckdb.CatalogException) -> DatabaseError:
    """The error for a file without the table a query asked for: another program's DuckDB file,
    not a refscope database."""
    text = str(exc)
    table = text.split("Table with name ", 1)[1].split(" ", 1)[0] + " table" if (
        "Table with name " in text) else "refscope tables"  # fmt: skip
    return DatabaseError(f"{path} is not a refscope database (no {table})")


class NoDataYet(DatabaseError):
    """A DuckDB file that holds nothing (no command wrote to it), which `ingest` makes a
    refscope database: no data yet, as with no database yet. Said as EMPTY, unless the command
    catches it to say its own words."""


@contextmanager
def refscope_tables(con: duckdb.DuckDBPyConnection, path: Path | str) -> Iterator[None]:
    """A block reading refscope's tables through con (path's): a table missing is another
    program's DuckDB file (not_refscope), or, in a file that holds no object, NoDataYet."""
    try:
        yield
    except duckdb.CatalogException as exc:
        if objects(con):
            raise not_refscope(path, exc) from None
        raise NoDataYet(f"{path}: {EMPTY}") from None


def _in_memory(con: duckdb.DuckDBPyConnection) -> bool:
    row = con.execute(
        "SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
    ).fetchone()
    return row is None or row[0] is None


def _size(path: Path) -> int | None:
    try:
        return path.stat().st_size
    except OSError:
        return None


def _is_sqlite(path: Path) -> bool:
    try:
        with open(path, "rb") as fh:
            return fh.read(len(SQLITE_MAGIC)) == SQLITE_MAGIC
    except OSError:
        return False


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection, committed: Callable[[], object] | None = None
                ) -> Iterator[None]:  # fmt: skip
    """BEGIN … COMMIT, or ROLLBACK on any exception (KeyboardInterrupt included); committed is
    called at the COMMIT, a call of C (functools.partial) that no signal cuts short."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield
    except BaseException:
        con.execute("ROLLBACK")
        raise
    try:
        con.execute("COMMIT")
        if committed is not None:
            committed()
    except duckdb.Error as exc:
        # Written to disk only now: a full disk or a file size limit fails here, said in one line.
        raise DatabaseError(f"cannot commit: {exc}") from exc
    except BaseException:  # a stop as COMMIT returned (Python takes a signal as a call ends)
        if committed is not None:
            try:
                con.execute("ROLLBACK")  # still open: a stop cut the COMMIT short
            except duckdb.TransactionException:  # none open: it was committed
                committed()
        raise


def checkpoint(con: duckdb.DuckDBPyConnection, done: str) -> None:
    """Fold the write-ahead log into the database file now, not in the next reader's open.

    `done` names what was committed, for the error when the disk refuses the room (a full disk,
    a file size limit): it is safe in the log, and the next open of the database writes it."""
    try:
        con.execute("CHECKPOINT")
    except duckdb.Error as exc:
        raise DatabaseError(
            f"{done} is committed, but writing it into the database file failed: {exc}; the "
            "next open of the database writes it, once there is room"
        ) from exc


# 2**127: below it a UHUGEINT fits a HUGEINT, whose cast to text is fast.
_HUGEINT_END = "CAST('170141183460469231731687303715884105728' AS UHUGEINT)"


def key_text(x: str) -> str:
    """SQL for the decimal digits of the UHUGEINT x (a 128-bit key), exactly as
    CAST(x AS VARCHAR) gives them: DuckDB's own cast of a UHUGEINT takes about 40 us a value
    (40 s for a million keys), this about 1 us. From 2**127 on, with h = x >> 1 (a HUGEINT),
    x = 10 * (h // 5) + (2 * (h % 5) + (x & 1)), the last term being its last digit."""
    return (
        f"CASE WHEN {x} < {_HUGEINT_END} THEN CAST(CAST({x} AS HUGEINT) AS VARCHAR) "
        f"ELSE CAST(CAST({x} >> 1 AS HUGEINT) // 5 AS VARCHAR) "
        f"|| CAST(CAST({x} >> 1 AS HUGEINT) % 5 * 2 + CAST({x} & 1 AS HUGEINT) AS VARCHAR) END"
    )


@contextmanager
def registered(con: duckdb.DuckDBPyConnection, name: str, table: object) -> Iterator[None]:
    """table visible to SQL as name for the block. When the block fails in a transaction, the
    transaction is aborted and unregistering fails too: the block's own error is the one raised."""
    con.register(name, table)
    try:
        yield
    except BaseException:
        with contextlib.suppress(duckdb.Error):
            con.unregister(name)
        raise
    con.unregister(name)
