"""Shared fixtures: a real DuckDB file per test, the real pipeline, read-only queries."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ingest import db, pipeline
from tests.factories import write_ndjson

WEBHOOK_CASES = Path(__file__).parent / "data" / "webhooks"
SECRET_HINTS = ("SECRET", "TOKEN", "PASSWORD")


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No REFSCOPE_* setting or secret of the caller's environment reaches a test."""
    for name in list(os.environ):
        if name.startswith("REFSCOPE_") or any(h in name.upper() for h in SECRET_HINTS):
            monkeypatch.delenv(name)
    # As `refscope dashboard` on 127.0.0.1 tells the app (AppTest has no server.address).
    monkeypatch.setenv("REFSCOPE_DASHBOARD_AUTH", "none")


@pytest.fixture(autouse=True)
def visitor_on_this_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every AppTest session comes from this machine, as Streamlit reports one (None): AppTest
    runs the app without a server, and its st.context.ip_address is a stand-in (a MagicMock),
    no address. The access tests set another visitor themselves."""
    monkeypatch.setattr("dashboard.auth._visitor", lambda: None)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """A real DuckDB file in tmp_path with the schema applied."""
    path = tmp_path / "refscope.duckdb"
    db.connect(path).close()
    return path


class Query:
    """Read the database read-only, one short connection per call (as the dashboard does)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __call__(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        con = db.connect(self.path, read_only=True)
        try:
            return con.execute(sql, list(params)).fetchall()
        finally:
            con.close()

    def dicts(self, sql: str, *params: Any) -> list[dict[str, Any]]:
        con = db.connect(self.path, read_only=True)
        try:
            cur = con.execute(sql, list(params))
            names = [d[0] for d in cur.description]
            return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
        finally:
            con.close()

    def one(self, sql: str, *params: Any) -> dict[str, Any]:
        rows = self.dicts(sql, *params)
        assert len(rows) == 1, f"expected one row, got {len(rows)}: {rows}"
        return rows[0]

    def scalar(self, sql: str, *params: Any) -> Any:
        (row,) = self(sql, *params)
        return row[0]

    def read_tables(self) -> dict[str, list[tuple[Any, ...]]]:
        """What the logs read say, whatever file, line and run read each event first: events
        (without those), touches, contacts and contact_days, rows sorted."""
        tables = {
            "events": self("SELECT * EXCLUDE (file, line_no, run_id) FROM events ORDER BY ALL")
        }
        for table in ("touches", "contacts", "contact_days"):
            tables[table] = self(f"SELECT * FROM {table} ORDER BY ALL")
        return tables

    def tables(self) -> dict[str, list[tuple[Any, ...]]]:
        """Every table of the database, rows sorted: for whole-database comparisons."""
        names = [r[0] for r in self("SELECT table_name FROM duckdb_tables() ORDER BY 1")]
        return {n: self(f"SELECT * FROM {n} ORDER BY ALL") for n in names}


@pytest.fixture
def query(db_path: Path) -> Query:
    return Query(db_path)


@pytest.fixture
def execute(db_path: Path) -> Callable[..., None]:
    """Write to the database (e.g. register tracked links) before an ingest."""

    def run(sql: str, *params: Any) -> None:
        con = db.connect(db_path)
        try:
            con.execute(sql, list(params))
        finally:
            con.close()

    return run


IngestLines = Callable[..., pipeline.IngestResult]


@pytest.fixture
def log_dir(tmp_path: Path) -> Path:
    path = tmp_path / "logs"
    path.mkdir()
    return path


@pytest.fixture
def ingest_lines(db_path: Path, log_dir: Path) -> IngestLines:
    """Write lines (dicts as JSON, str or bytes as given) to an ndjson log and ingest it."""

    def ingest(
        lines: list[Any],
        name: str = "webhooks.ndjson",
        *,
        append: bool = False,
        keep_text: bool = True,
    ) -> pipeline.IngestResult:
        path = write_ndjson(log_dir / name, lines, mode="a" if append else "w")
        return pipeline.run([str(path)], db_path, keep_text=keep_text)

    return ingest


@pytest.fixture
def load_case() -> Callable[[str], Any]:
    """A captured payload: tests/data/webhooks/<name>.json."""

    def load(name: str) -> Any:
        return json.loads((WEBHOOK_CASES / f"{name}.json").read_text(encoding="utf-8"))

    return load


@pytest.fixture
def runner() -> Iterator[CliRunner]:
    yield CliRunner()


def nonblank_line_numbers(data: bytes) -> set[int]:
    """1-based numbers of the lines that hold more than JSON whitespace (after a leading byte
    order mark, which is read as if absent)."""
    lines = data.split(b"\n")
    return {
        i for i, text in enumerate(lines, 1) if text.removeprefix(b"\xef\xbb\xbf").strip(b" \t\r\n")
    }


def accounted_lines(query: Query, path: Path) -> tuple[set[int], list[int]]:
    """(lines with events or clicks, line of each reject row) for one log file."""
    file = str(path.resolve())
    with_events = {
        r[0]
        for r in query(
            """SELECT line_no FROM events WHERE file = $1
               UNION SELECT line_no FROM clicks WHERE file = $1""",
            file,
        )
    }
    rejected = [r[0] for r in query("SELECT line_no FROM rejects WHERE file = ?", file)]
    return with_events, rejected
