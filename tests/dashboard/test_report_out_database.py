"""`refscope report --out` naming the database it reads (or its write-ahead log) is refused,
nothing written: the report replaced the database with an XLSX, PDF or HTML file, exit 0."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from dashboard.cli import cli


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("target", ["database", "link", "wal"])
def test_out_naming_the_database_is_refused_and_it_keeps_its_bytes(
    runner, report_db, tmp_path, target
):
    path = tmp_path / "refscope.duckdb"
    shutil.copyfile(report_db, path)
    before = _digest(path)
    names = {"database": path.name, "link": "report.xlsx", "wal": "refscope.duckdb.wal"}
    out = tmp_path / names[target]
    if target == "link":
        out.symlink_to(path)
    args = ["report", "--db", str(path), "--format", "xlsx", "--out", str(out)]
    result = runner.invoke(cli, args)
    assert result.exit_code == 2, result.output
    what = "the write-ahead log of the database" if target == "wal" else "the database"
    assert f"{out} is {what} this report reads" in result.stderr
    assert _digest(path) == before
    left = {"refscope.duckdb", "report.xlsx"} if target == "link" else {"refscope.duckdb"}
    assert {p.name for p in tmp_path.iterdir()} == left  # no report, no log beside it
