"""`refscope report --lake DIR` on a lake no ingest has put an event in: the report and stderr
speak of the lake and of the command that fills it, not of "the database" and a bare
`refscope ingest` (which fills the database and leaves the lake as it is)."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner

from dashboard.cli import cli
from tests.dashboard.conftest import lake_of


@pytest.mark.parametrize("fmt", ["xlsx", "html"], ids=["xlsx", "html"])
def test_an_empty_lake_gives_a_report_that_names_the_lake_and_its_ingest(
    runner: CliRunner, db_path: Path, tmp_path: Path, fmt: str
) -> None:
    lake_dir = lake_of(db_path, tmp_path / "my lake")  # a space: the command quotes it
    out = tmp_path / f"r.{fmt}"
    result = runner.invoke(cli, ["report", "--lake", str(lake_dir), "--out", str(out)])
    assert result.exit_code == 0, result.output
    said = (f"the lake {lake_dir} holds no events yet, so no range has data; run `refscope "
            f"ingest --lake {shlex.quote(str(lake_dir))}` on the logs first.")  # fmt: skip
    assert said in result.stderr
    assert "database" not in result.stderr
    text = out.read_bytes().decode("utf-8", "replace") if fmt == "html" else _cells(out)
    assert "the lake" in text and "the database holds" not in text


def _cells(out: Path) -> str:
    import openpyxl

    book = openpyxl.load_workbook(out)
    return " ".join(str(v) for ws in book for row in ws.iter_rows(values_only=True) for v in row
                    if v is not None)  # fmt: skip
