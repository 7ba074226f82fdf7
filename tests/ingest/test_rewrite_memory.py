"""`refscope forget` and `prune --rewrite` under REFSCOPE_INGEST_MEMORY: both copy the whole
database into a new file (rewrite.py, COPY FROM DATABASE), which ran at DuckDB's default (80%
of the machine's memory) while an ingest of the same database is held to the share. Their
connection is held to it now, from the deletions to the copy, and the copy is still whole."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pytest
from click.testing import CliRunner

from ingest import cli_retention, db, retention, rewrite
from ingest.cli import cli
from tests.ingest.memory_setup import SHARE, Limits, shown
from tests.ingest.rebuild_setup import every_row

# The prune's age keeps every row: what is tested is the copy of them.
COMMANDS = {"forget": ["forget", "u1"], "prune": ["prune", "--older-than", "100y", "--rewrite"]}


def every_table(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table of con's database."""
    tables = con.execute("SELECT table_name FROM duckdb_tables() "
                         "WHERE database_name = current_database()").fetchall()  # fmt: skip
    return {t: con.execute(f'SELECT * FROM "{t}" ORDER BY ALL').fetchall() for (t,) in tables}


@pytest.mark.parametrize("command", COMMANDS)
def test_a_rewrite_holds_to_the_ingest_memory_and_gives_every_row(
    old: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    limits = Limits()
    before: dict[str, list[tuple[Any, ...]]] = {}
    rewrite_file = rewrite.rewrite

    def rewrite_spy(con: duckdb.DuckDBPyConnection, path: Path) -> rewrite.Rewritten:
        before.update(every_table(con))  # the database as the deletions left it
        return rewrite_file(con, path)

    # The check that the file is refscope's, the deletions, and the copy once written (its check
    # reads both files on the connection that wrote it).
    monkeypatch.setattr(cli_retention, "_holds_events",
                        limits.spy("check", cli_retention._holds_events, 1))  # fmt: skip
    monkeypatch.setattr(retention, command, limits.spy("delete", getattr(retention, command), 1))
    monkeypatch.setattr(rewrite, "rewrite", rewrite_spy)
    monkeypatch.setattr(rewrite, "_check_same", limits.spy("copy", rewrite._check_same, 1))
    monkeypatch.setenv("REFSCOPE_INGEST_MEMORY", SHARE)

    res = runner.invoke(cli, [*COMMANDS[command], "--db", str(old)])

    assert res.exit_code == 0, res.output
    assert "rewrote" in res.output, res.output
    assert limits.seen == {s: {shown(SHARE)} for s in ("check", "delete", "copy")}, limits.seen
    con = db.connect(old, read_only=True)
    try:
        assert every_table(con) == before
    finally:
        con.close()
    assert before["events"] and before["contacts"]


@pytest.mark.parametrize("command", COMMANDS)
def test_a_share_below_the_least_is_refused_before_anything_is_removed(
    old: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    before = every_row(old)
    monkeypatch.setenv("REFSCOPE_INGEST_MEMORY", "64MB")
    res = runner.invoke(cli, [*COMMANDS[command], "--db", str(old)])
    assert res.exit_code == 1, res.output
    assert "REFSCOPE_INGEST_MEMORY='64MB': give at least 128MB" in res.output, res.output
    assert every_row(old) == before
