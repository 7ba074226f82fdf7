"""What a run costs: no pandas for a small run, no statement per file for a run over many."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import duckdb
import pytest

import tests.factories as f
from ingest import pipeline
from ingest.clicklog import click_line
from tests.conftest import Query
from tests.factories import T0


def _pandas_loaded(path: Path, db_path: Path) -> list[str]:
    """The events and rejects a run of path added in a fresh interpreter, and whether it
    imported pandas."""
    code = (
        "import sys; from pathlib import Path; from ingest import pipeline; "
        f"r = pipeline.run([{str(path)!r}], Path({str(db_path)!r})); "
        "print(r.events_added, r.rejects_added, r.clicks_added, 'pandas' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return out.stdout.split()


def test_an_ingest_does_not_import_pandas(db_path: Path, log_dir: Path) -> None:
    # pandas costs a fifth of a second to import: a small incremental run must not pay it.
    path = f.write_ndjson(log_dir / "a.ndjson", ["{oops", f.delivery(f.message())])
    assert _pandas_loaded(path, db_path) == ["1", "1", "0", "False"]


def test_an_ingest_of_a_click_log_does_not_import_pandas(db_path: Path, log_dir: Path) -> None:
    """A click log (the redirect server's, read daily beside the webhooks) imported pandas:
    its first line was handed to DuckDB in an Arrow table built by pa.array()."""
    path = log_dir / "clicks-2026-11-30.ndjson"
    path.write_bytes(click_line(T0, "flyer", "acmebakery", True, "mobile") * 2)
    assert _pandas_loaded(path, db_path) == ["0", "0", "2", "False"]
    query = Query(db_path)
    assert query("SELECT count(*), any_value(ref) FROM clicks") == [(2, "flyer")]
    # The log is known by its first line: read again (renamed, as a rotation does), it adds none.
    path.rename(log_dir / "clicks-renamed.ndjson")
    assert _pandas_loaded(log_dir / "clicks-renamed.ndjson", db_path)[2] == "0"


class _CountingConnection:
    """A connection that counts the statements run through it."""

    def __init__(self, con: duckdb.DuckDBPyConnection, counts: list[str]) -> None:
        self._con, self._counts = con, counts

    def execute(self, sql: str, *args: Any) -> _CountingConnection:
        self._counts.append(sql)
        self._con.execute(sql, *args)
        return self

    def __getattr__(self, name: str) -> Any:
        return getattr(self._con, name)


def test_a_run_over_many_files_runs_no_statement_per_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A day per file over years: the files' offsets and the rejects of lines read again are
    written in one statement per batch, not one per file (each cost a scan of its table)."""
    statements: list[str] = []
    connect = pipeline.db.connect

    def counting(*args: Any, **kwargs: Any) -> _CountingConnection:
        return _CountingConnection(connect(*args, **kwargs), statements)

    monkeypatch.setattr(pipeline.db, "connect", counting)

    def run(n_files: int) -> int:
        logs = tmp_path / f"logs{n_files}"
        logs.mkdir()
        for day in range(n_files):
            f.write_ndjson(logs / f"webhooks-{day:03d}.ndjson",
                           [f.delivery(f.message(psid=f"u{day}", mid=f"m{n_files}_{day}")),
                            "not json"])  # fmt: skip
        statements.clear()
        pipeline.run([str(logs)], tmp_path / f"{n_files}.duckdb")
        return len(statements)

    assert run(2) == run(40)
    monkeypatch.undo()
    query = Query(tmp_path / "40.duckdb")
    assert query("SELECT count(*), sum(lines_done) FROM ingest_files") == [(40, 80)]
    assert query("SELECT count(*), count(DISTINCT file) FROM rejects") == [(40, 40)]
    assert query("SELECT count(*) FROM events") == [(40,)]
