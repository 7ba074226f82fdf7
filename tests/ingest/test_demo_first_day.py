"""`refscope demo-data` writes no day whose logs refscope cannot read: a millisecond timestamp
below 1e12 (before 2001-09-09 01:46:40 UTC) is read as seconds, so the first day it takes is
2001-09-10, by --days, --start or the default span before --end alike."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from ingest.cli import cli
from tests.ingest.cli_setup import _words


@pytest.mark.parametrize(
    ("args", "first"),
    [
        (["--end", "2001-03-01"], "1999-03-03"),  # the default two years
        (["--end", "2003-06-01"], "2001-06-02"),
        (["--days", "5", "--end", "2001-09-12"], "2001-09-08"),
        (["--start", "2000-01-01", "--end", "2000-01-01"], "2000-01-01"),
    ],
)
def test_a_first_day_whose_timestamps_read_as_seconds_is_refused(
    runner: CliRunner, tmp_path: Path, args: list[str], first: str
) -> None:
    result = runner.invoke(cli, ["demo-data", *args, "--out", str(tmp_path / "demo")])
    assert result.exit_code == 2, result.output
    assert f"the logs would start on {first}, before 2001-09-10" in _words(result)
    assert not (tmp_path / "demo").exists()


def test_the_first_day_it_takes_is_read_whole(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "demo"
    said = runner.invoke(
        cli, ["demo-data", "--start", "2001-09-10", "--end", "2001-09-12", "--out", str(out)]
    )
    assert said.exit_code == 0, said.output
    m = re.search(r"\(([\d,]+) malformed", said.output)
    assert m, said.output
    ingested = runner.invoke(cli, ["ingest", str(out), "--db", str(tmp_path / "r.duckdb")])
    assert ingested.exit_code == 0, ingested.output
    # Its malformed lines are all the ingest rejects: no line for a timestamp it cannot read.
    assert f", {m.group(1)} rejects, " in ingested.output, ingested.output
