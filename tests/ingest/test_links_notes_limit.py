"""A link's notes have at most 10,000 characters (pages of text, and always whole in an XLSX
cell): a longer one, a paste gone wrong, is refused with the rule by `links create` and `links
import` alike (the dashboard's form: tests/dashboard/test_links_notes_limit.py), and nothing is
registered."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ingest import links
from ingest.cli import cli
from ingest.errors import ValidationError
from ingest.link_rules import NOTES_MAX, NOTES_RULE
from tests.ingest.links_setup import write_csv

LONGEST = "é" * NOTES_MAX
TOO_LONG = "n" * (NOTES_MAX + 1)
REFUSED = f"notes of {NOTES_MAX + 1:,} characters: a link's notes have at most 10,000 characters"


def test_the_rule() -> None:
    assert NOTES_RULE == "a link's notes have at most 10,000 characters"
    # Pages of text, and whole in an XLSX cell even as emoji (two UTF-16 units each).
    assert 2 * NOTES_MAX <= 32_767
    assert links.make_link("acmebakery", "flyer", notes=f"  {LONGEST} ").notes == LONGEST
    with pytest.raises(ValidationError, match=REFUSED):
        links.make_link("acmebakery", "flyer", notes=TOO_LONG)


def test_create_refuses_notes_over_the_limit(runner: CliRunner, db_path: Path, query: Any) -> None:
    args = ["links", "create", "--page", "acmebakery", "--ref", "flyer", "--db", str(db_path)]
    res = runner.invoke(cli, [*args, "--notes", TOO_LONG])
    assert res.exit_code == 1, res.output
    assert REFUSED in res.output and TOO_LONG not in res.output
    assert query.scalar("SELECT count(*) FROM tracked_links") == 0
    res = runner.invoke(cli, [*args, "--notes", LONGEST])
    assert res.exit_code == 0, res.output
    assert query.scalar("SELECT notes FROM tracked_links") == LONGEST


def test_import_refuses_a_row_with_notes_over_the_limit_on_its_line(
    runner: CliRunner, db_path: Path, query: Any, tmp_path: Path
) -> None:
    rows = [f"acmebakery,flyer,link,,,{LONGEST}", f"acmebakery,menu,link,,,{TOO_LONG}"]
    csv_file = write_csv(tmp_path / "flyers.csv", rows)
    res = runner.invoke(cli, ["links", "import", str(csv_file), "--db", str(db_path)])
    assert res.exit_code == 1, res.output
    assert f"line 3: {REFUSED}" in res.output and "line 2" not in res.output
    assert query.scalar("SELECT count(*) FROM tracked_links") == 0


def test_import_refuses_a_value_over_the_csv_readers_limit_with_the_rule_not_quoting(
    runner: CliRunner, db_path: Path, query: Any, tmp_path: Path
) -> None:
    """A value over 131,072 characters, which the csv module refuses to read, was refused with
    the rule of quoting, which it keeps; the rows after it are read on."""
    rows = [
        "acmebakery,flyer,link,,," + "n" * 200_000,
        "acmebakery,menu,link,,,short",
        "acme,x,link,,,",
    ]
    csv_file = write_csv(tmp_path / "flyers.csv", rows)
    res = runner.invoke(cli, ["links", "import", str(csv_file), "--db", str(db_path)])
    assert res.exit_code == 1, res.output
    assert (
        "line 2: a value has at most 131,072 characters "
        "(a link's notes have at most 10,000 characters)"
    ) in res.output
    assert "quote" not in res.output and "line 3" not in res.output
    assert "line 4: invalid page 'acme'" in res.output
    assert query.scalar("SELECT count(*) FROM tracked_links") == 0
