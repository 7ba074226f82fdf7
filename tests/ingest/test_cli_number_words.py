"""What a number option says of a value that is no number, in a process of its own."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.ingest.cli_setup import _run_refscope


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["demo-data", "--days", "abc"],
         "Invalid value for '--days': 'abc' is not a valid integer."),
        (["demo-data", "--scale", "x"], "Invalid value for '--scale': 'x' is not a valid number."),
        (["ingest", "--follow", "--interval", "soon"],
         "Invalid value for '--interval': 'soon' is not a valid number."),
        (["dashboard", "--port", "http"],
         "Invalid value for '--port': 'http' is not a valid integer."),
    ],
)  # fmt: skip
def test_a_word_for_a_number_is_refused_as_no_number_not_as_no_range(
    tmp_path: Path, args: list[str], said: str
) -> None:
    """click's range types said "'abc' is not a valid integer range" (and "float range"), as if
    a range such as 1-30 were asked for; one number is, within the range the help gives."""
    done = _run_refscope(*args, cwd=tmp_path)
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.rstrip().splitlines()[-1] == f"Error: {said}", done.stderr
    assert "Traceback" not in done.stderr and not list(tmp_path.iterdir())
