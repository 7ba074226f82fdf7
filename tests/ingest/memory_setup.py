"""DuckDB's memory limit as a connection holds it, and as it shows a share of memory once set:
for the tests that read it back during a command (test_*_memory.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import duckdb

from ingest import sizes

SHARE = "150MB"  # above the least accepted (128MB), far below any machine's default


def memory_limit(con: duckdb.DuckDBPyConnection) -> str:
    """con's memory_limit, as DuckDB shows it."""
    ((limit,),) = con.execute("SELECT current_setting('memory_limit')").fetchall()
    return str(limit)


def shown(share: str) -> str:
    """The memory_limit as DuckDB shows it once set to share (its MB are powers of 1000, and
    refscope's of 1024)."""
    con = duckdb.connect()
    try:
        con.execute(f"SET memory_limit = '{sizes.size_setting('share', 0, {'share': share})}B'")
        return memory_limit(con)
    finally:
        con.close()


class Limits:
    """The memory limits each phase of a command saw, by the connections its functions got."""

    def __init__(self) -> None:
        self.seen: dict[str, set[str]] = {}

    def note(self, phase: str, *cons: duckdb.DuckDBPyConnection) -> None:
        for con in cons:
            self.seen.setdefault(phase, set()).add(memory_limit(con))

    def spy(self, phase: str, fn: Callable[..., Any], n: int) -> Callable[..., Any]:
        """fn, noting as phase's the limits of its first n arguments (connections)."""

        def spied(*args: Any, **kw: Any) -> Any:
            self.note(phase, *args[:n])
            return fn(*args, **kw)

        return spied
