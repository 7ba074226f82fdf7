"""`--box-size` and `--border` of `links create`, `links qr` and `links import` out of their
range: a usage error (exit 2) naming the option and its range, as a word given them is."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.ingest.cli_setup import _run_refscope
from tests.ingest.links_setup import write_csv


@pytest.mark.parametrize(
    ("option", "value", "said"),
    [("--box-size", "0", "0 is not in the range 1<=x<=100"),
     ("--box-size", "101", "101 is not in the range 1<=x<=100"),
     ("--border", "-1", "-1 is not in the range 0<=x<=20"),
     ("--border", "21", "21 is not in the range 0<=x<=20")],
)  # fmt: skip
@pytest.mark.parametrize("command", ["create", "qr", "import"])
def test_a_qr_option_out_of_range_is_a_usage_error(
    tmp_path: Path, command: str, option: str, value: str, said: str
) -> None:
    """It exited 1 with `Error: box size must be between 1 and 100 pixels`, no usage line, while
    `--box-size x` exits 2 with click's usage error."""
    db_file, out = tmp_path / "refscope.duckdb", tmp_path / "codes"
    given = {
        "create": ["--page", "acmebakery", "--ref", "qr_door", "--channel", "qr"],
        "qr": ["qr_door"],
        "import": [str(write_csv(tmp_path / "codes.csv", ["acmebakery,qr_door,qr,,,"]))],
    }[command]
    done = _run_refscope("links", command, *given, option, value, "--out", str(out),
                         "--db", str(db_file), cwd=tmp_path)  # fmt: skip
    assert done.returncode == 2, done
    assert done.stdout == ""
    usage = done.stderr.splitlines()[0]  # "Usage: -c links …" run as python -c
    assert usage.startswith("Usage: ") and f" links {command} [OPTIONS]" in usage, done.stderr
    assert done.stderr.endswith(f"Error: Invalid value for '{option}': {said}.\n"), done.stderr
    assert not db_file.exists() and not out.exists()
