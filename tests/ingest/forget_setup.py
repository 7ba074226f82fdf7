"""A log read then a person forgotten, and the person forgotten then the log read: the rejects
of both orders, which the forget tests compare."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
from click.testing import CliRunner

from ingest import pipeline
from ingest.cli import cli
from tests import factories as f
from tests.conftest import Query


def rejects_both_ways(
    tmp_path: Path, runner: CliRunner, lines: list[str], who: str | list[str], sql: str
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """(rows of sql read then forgotten, in seen.duckdb, rows of sql forgotten then read, in
    forgot.duckdb) of a log of lines in logs/a.ndjson, all under tmp_path; who: an id, or the
    ids of one person (forgotten one after the other)."""
    log = f.write_ndjson(tmp_path / "logs" / "a.ndjson", lines)
    seen_first, forgot_first = tmp_path / "seen.duckdb", tmp_path / "forgot.duckdb"

    def forget(path: Path) -> None:
        for each in [who] if isinstance(who, str) else who:
            res = runner.invoke(cli, ["forget", each, "--db", str(path)])
            assert res.exit_code == 0, res.output

    pipeline.run([str(log)], seen_first)
    forget(seen_first)
    forget(forgot_first)
    pipeline.run([str(log)], forgot_first)
    return Query(seen_first)(sql), Query(forgot_first)(sql)


def as_an_older_forget_left(path: Path, edits: list[tuple[str, str]], migrations: int) -> None:
    """Make the database at path as an older refscope's forget left it: each (was, older) of
    edits put back in its rejected lines, and `migrations` of them recorded as done."""
    con = duckdb.connect(str(path))
    for was, older in edits:
        con.execute("UPDATE rejects SET raw = replace(raw, ?, ?)", [was, older])
    con.execute(f"COMMENT ON TABLE events IS 'refscope migrations: {migrations}'")
    con.close()
