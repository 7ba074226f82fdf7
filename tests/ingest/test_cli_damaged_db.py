"""A database file cut short (copied to a full disk) or whose bytes changed: one error line
saying so, from whichever command reads it, never DuckDB's traceback."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from dashboard.cli import cli
from ingest import pipeline
from ingest.demo import write_demo
from tests.ingest.cli_setup import _one_error_line


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("damaged")
    write_demo(root / "logs", days=30, end=dt.date(2026, 11, 30), seed=7)
    path = root / "refscope.duckdb"
    pipeline.run([str(root / "logs")], path)
    return path


def _cut_short(src: Path, dst: Path) -> None:
    data = src.read_bytes()
    dst.write_bytes(data[: len(data) // 2])


def _scribbled(src: Path, dst: Path) -> None:
    data = bytearray(src.read_bytes())
    for at in range(300_000, len(data) - 64, 250_000):
        data[at : at + 64] = b"\xff" * 64
    dst.write_bytes(bytes(data))


def _cut_in_its_header(src: Path, dst: Path) -> None:
    """Cut short within DuckDB's 12 KB of headers: refused as the database is opened."""
    dst.write_bytes(src.read_bytes()[:5000])


@pytest.mark.parametrize("damage", [_cut_short, _scribbled, _cut_in_its_header],
                         ids=["cut short", "bytes changed", "cut in its header"])  # fmt: skip
@pytest.mark.parametrize(
    "command",
    [["ingest", "{tmp}/logs"], ["report", "--format", "html", "--out", "{tmp}/r.html"],
     ["pages", "set", "1122334455", "--name", "Acme"], ["prune", "--older-than", "1y"],
     ["forget", "1234567890", "--no-rewrite"]],
    ids=["ingest", "report", "pages set", "prune", "forget"],
)  # fmt: skip
def test_a_damaged_database_is_one_error_line_saying_so(
    runner: CliRunner,
    tmp_path: Path,
    demo_db: Path,
    damage: Callable[[Path, Path], None],
    command: list[str],
) -> None:
    """Each ended in DuckDB's traceback (`IOException: Could not read enough bytes from file`,
    `Error: Corrupt database file: computed checksum ...`)."""
    damaged = tmp_path / "copy.duckdb"
    damage(demo_db, damaged)
    shutil.copytree(demo_db.parent / "logs", tmp_path / "logs")  # new to it: read whole
    args = [a.format(tmp=tmp_path) for a in command]
    line = _one_error_line(runner.invoke(cli, [*args, "--db", str(damaged)]))
    assert "Could not read enough bytes" in line or "Corrupt database file" in line, line
    assert line.endswith(
        "the database file is damaged (cut short, or its bytes changed): restore it from a "
        "copy, or ingest the logs into a new one (another --db)"
    ), line
