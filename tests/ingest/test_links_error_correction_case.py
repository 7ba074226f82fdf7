"""`--error-correction` of `links create` and `links import` in any case (`h` as `H`), as
`--channel` takes its own: the code is drawn at that level."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from ingest.cli import cli
from tests.ingest.links_setup import write_csv


def _run(runner: CliRunner, db_file: Path, *args: str) -> None:
    result = runner.invoke(cli, [*args, "--db", str(db_file)])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("level", "lmqh")
@pytest.mark.parametrize("command", ["create", "import"])
def test_an_error_correction_level_in_any_case_draws_the_code_at_that_level(
    runner: CliRunner, tmp_path: Path, command: str, level: str
) -> None:
    """`--error-correction h` was refused (`'h' is not one of 'L', 'M', 'Q', 'H'`, exit 2)."""
    db_file, out = tmp_path / "refscope.duckdb", tmp_path / "codes"
    given = {
        "create": ["--page", "acmebakery", "--ref", "door", "--channel", "qr"],
        "import": [str(write_csv(tmp_path / "codes.csv", ["acmebakery,door,qr,,,"]))],
    }[command]
    _run(runner, db_file, "links", command, *given, "--error-correction", level, "--out", str(out))
    drawn = {}  # the same code drawn again at each level, named in upper case
    for upper in "LMQH":
        again = tmp_path / upper
        _run(runner, db_file, "links", "qr", "door", "--error-correction", upper,
             "--out", str(again))  # fmt: skip
        drawn[upper] = (again / "door.png").read_bytes()
    assert len(set(drawn.values())) == 4  # each level a code of its own
    assert (out / "door.png").read_bytes() == drawn[level.upper()]


@pytest.mark.parametrize("command", [["create", "--page", "acmebakery", "--channel", "qr"],
                                     ["qr", "door"]], ids=["create", "qr"])  # fmt: skip
def test_a_bad_error_correction_level_is_refused_naming_the_levels_as_written(
    runner: CliRunner, tmp_path: Path, command: list[str]
) -> None:
    """The refusal named them in lower case ('l', 'm', 'q', 'h'), the help as L|M|Q|H."""
    result = runner.invoke(cli, ["links", *command, "--error-correction", "X", "--db",
                                 str(tmp_path / "refscope.duckdb")])  # fmt: skip
    assert result.exit_code == 2
    assert "Error: Invalid value for '--error-correction': 'X' is not one of 'L', 'M', 'Q', " \
        "'H'.\n" in result.output  # fmt: skip
