"""Issue 4: "every command takes --db / REFSCOPE_DB like the ingest". Each `links` and `pages`
command, run with REFSCOPE_DB alone (no --db, another working directory), reads and writes that
file, and `--db` wins over the variable, as for `ingest`."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from ingest.cli import cli
from tests.conftest import Query


def test_links_and_pages_commands_use_refscope_db_and_db_wins_over_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env_db, flag_db = tmp_path / "env.duckdb", tmp_path / "flag.duckdb"
    work = tmp_path / "work"  # no data/refscope.duckdb here: a default would be created in it
    work.mkdir()
    csv_file = tmp_path / "flyers.csv"
    csv_file.write_text("page,ref,channel\nacmebakery,flyer_1,qr\nacmebakery,flyer_2,link\n")
    runner = CliRunner(env={"REFSCOPE_DB": str(env_db)})
    monkeypatch.chdir(work)
    steps = [
        ["links", "create", "--page", "acmebakery", "--ref", "window", "--channel", "qr",
         "--out", "codes"],
        ["links", "import", str(csv_file)],
        ["pages", "set", "1122334455667788", "--username", "acmebakery"],
        ["links", "qr", "window", "--out", "again"],
    ]  # fmt: skip
    for args in steps:
        res = runner.invoke(cli, args)
        assert res.exit_code == 0, (args, res.output)
    listed = runner.invoke(cli, ["links", "list"])
    assert listed.exit_code == 0 and "window" in listed.output and "flyer_2" in listed.output
    assert Path("again/window.png").exists()
    # --db names another file, whatever REFSCOPE_DB says.
    res = runner.invoke(cli, ["links", "create", "--page", "acmebakery", "--ref", "other",
                              "--db", str(flag_db)])  # fmt: skip
    assert res.exit_code == 0, res.output
    listed = runner.invoke(cli, ["links", "list", "--db", str(flag_db)])
    assert "other" in listed.output and "window" not in listed.output
    assert not Path("data").exists()  # nothing went to the default database
    env = Query(env_db)
    assert env("SELECT ref FROM tracked_links ORDER BY ref") == [
        ("flyer_1",), ("flyer_2",), ("window",)
    ]  # fmt: skip
    assert env("SELECT page_id, username FROM pages") == [("1122334455667788", "acmebakery")]
    assert Query(flag_db)("SELECT ref FROM tracked_links") == [("other",)]
