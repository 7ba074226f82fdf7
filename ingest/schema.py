"""The schema (schema.sql): its tables and columns, the check that a file's tables are
refscope's, and a reader's stand-ins for what an older refscope's file lacks."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable
from importlib import resources
from pathlib import Path

import duckdb

from . import comment_tables
from .errors import DatabaseError


def schema_sql() -> str:
    return resources.files("ingest").joinpath("schema.sql").read_text(encoding="utf-8")


def check_columns(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """Refuse a file holding a table of refscope's name without its first column (another
    program's DuckDB file): every query would fail on it with DuckDB's traceback. Only the
    first: a database of an older refscope may lack columns added later, never that one."""
    present = set(
        con.execute(
            """SELECT table_name, column_name FROM duckdb_columns()
               WHERE database_name = current_database() AND schema_name = 'main'"""
        ).fetchall()
    )
    tables = {t for t, _ in present}  # a reader's file may lack some: not checked here
    for table, first in first_columns().items():
        if (table, first) not in present and table in tables:
            raise DatabaseError(
                f"{path} is not a refscope database (its table {table} has no column {first}): "
                "another program's file? give another --db (or REFSCOPE_DB), or the path of a "
                "new file"
            )


# The tables and views of the file, in any schema (a reader's temporary ones are in `temp`).
_OBJECTS = """SELECT schema_name, table_name FROM duckdb_tables()
WHERE database_name = current_database() AND NOT internal
UNION ALL SELECT schema_name, view_name FROM duckdb_views()
WHERE database_name = current_database() AND NOT internal ORDER BY ALL"""
# Its other objects, each named with its kind: what a file of no table or view may hold. Asked
# only then: listing the functions takes DuckDB some 25 ms, as long as a writer's whole open.
_OTHERS = """SELECT DISTINCT 'macro', schema_name, function_name FROM duckdb_functions()
WHERE database_name = current_database() AND NOT internal
  AND function_type IN ('macro', 'table_macro')
UNION ALL SELECT 'sequence', schema_name, sequence_name FROM duckdb_sequences()
WHERE database_name = current_database() AND NOT temporary
UNION ALL SELECT 'type', schema_name, type_name FROM duckdb_types()
WHERE database_name = current_database() AND NOT internal ORDER BY ALL"""
_NAMED = 3  # how many of another program's objects the error names


def _name(schema: str, name: str) -> str:
    return name if schema == "main" else f"{schema}.{name}"


def check_refscope(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """Refuse a file holding tables or views but no `events` table, or no table or view but
    macros, sequences or types (another program's DuckDB file, a mistyped --db): a writer would
    add refscope's tables to it. A new or empty file, and a database of any refscope, which has
    had `events` from the first, pass."""
    found = objects(con)
    if not found or "events" in found:
        return
    more = f" and {len(found) - _NAMED} more" if len(found) > _NAMED else ""
    raise DatabaseError(
        f"{path} is not a refscope database (no events table): it holds "
        f"{', '.join(found[:_NAMED])}{more}; refscope writes only into its own database or a "
        "new file: give another --db (or REFSCOPE_DB), or the path of a new file"
    )


def objects(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The file's tables and views, else its other objects named with their kind; none in a new
    file or one no program wrote to."""
    found = [_name(s, t) for s, t in con.execute(_OBJECTS).fetchall()]
    return found or [f"{k} {_name(s, n)}" for k, s, n in con.execute(_OTHERS).fetchall()]


_FIRST_COLUMN = re.compile(r"CREATE TABLE IF NOT EXISTS (\w+)\s*\(\s*(?:--[^\n]*\n\s*)*(\w+)")


@functools.cache
def first_columns() -> dict[str, str]:
    """Each table of the schema and its first column, read from its text: an in-memory
    database to ask costs about 40 ms, as much as an unchanged ingest's whole run."""
    return dict(_FIRST_COLUMN.findall(schema_sql()))


@functools.cache
def _schema_tables() -> dict[str, str]:
    """Each table of the schema and its CREATE statement."""
    mem = duckdb.connect(":memory:")
    try:
        mem.execute(schema_sql())
        return dict(mem.execute("SELECT table_name, sql FROM duckdb_tables()").fetchall())
    finally:
        mem.close()


@functools.cache
def schema_columns() -> dict[str, tuple[tuple[str, str], ...]]:
    """Each table of the schema and its columns (name, type), in order: those a table of an
    older refscope lacks (ALTER TABLE in schema.sql) among them."""
    mem = duckdb.connect(":memory:")
    try:
        mem.execute(schema_sql())
        rows = mem.execute("""SELECT table_name, column_name, data_type FROM duckdb_columns()
                              ORDER BY table_name, column_index""").fetchall()
    finally:
        mem.close()
    columns: dict[str, tuple[tuple[str, str], ...]] = {}
    for table, column, kind in rows:
        columns[table] = (*columns.get(table, ()), (column, kind))
    return columns


def stand_in_tables(con: duckdb.DuckDBPyConnection) -> None:
    """A file written by an older refscope lacks the tables added since, until the next ingest
    applies the schema: a reader sees them empty (temporary tables), not an error; those kept
    from events (comment_tables), as views over them."""
    present = {r[0] for r in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database()"
    ).fetchall()}  # fmt: skip
    if not {"events", "ingest_runs"} <= present:
        return  # not a refscope database (another program's, an empty file): it stays so
    for table, create in _schema_tables().items():
        if table not in present and table not in comment_tables.TABLES:
            con.execute(create.replace("CREATE TABLE", "CREATE TEMP TABLE", 1))
    _stand_in_columns(con, present)
    if not set(comment_tables.TABLES) <= present:
        comment_tables.views(con)  # kept from events: the same rows, computed on each read


def _stand_in_columns(con: duckdb.DuckDBPyConnection, present: set[str]) -> None:
    """A table of an older refscope lacks the columns added since (ALTER TABLE in schema.sql),
    until the next writer adds them: a reader sees it through a view that has them NULL, as
    the writer adds them, not DuckDB's error for the missing column."""
    have: dict[str, set[str]] = {}
    for table, column in con.execute(
        """SELECT table_name, column_name FROM duckdb_columns()
           WHERE database_name = current_database() AND schema_name = 'main'"""
    ).fetchall():
        have.setdefault(table, set()).add(column)
    name = quoted(con.execute("SELECT current_database()").fetchone()[0])  # type: ignore[index]
    for table, columns in schema_columns().items():
        if table not in present or all(c in have[table] for c, _ in columns):
            continue
        listed = stand_ins(columns, have[table])
        con.execute(f"CREATE TEMP VIEW {table} AS SELECT {listed} FROM {name}.main.{table}")


def stand_ins(
    columns: Iterable[tuple[str, str]],
    have: set[str],
    read: Callable[[str, str], str] = lambda c, _: quoted(c),
) -> str:
    """The select list of a table's columns (name, type; schema_columns): each one in have
    read (as it is, by default), each one a database or lake of an older refscope lacks NULL
    of its type, as the writer adds it."""
    return ", ".join(
        read(c, kind) if c in have else f"NULL::{kind} AS {quoted(c)}" for c, kind in columns
    )


def quoted(name: str) -> str:
    """name as an SQL identifier (a table or column name)."""
    return '"' + name.replace('"', '""') + '"'
