"""A salt lost (or changed) leaves a database that refuses every run, and the way out it names,
a new database, knows none of the people forgotten in the old one: their hashes are keyed by the
old salt. The refusal says so, with how many, before the logs bring them back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ingest import pipeline
from ingest.cli import cli
from tests import factories as f

SALT = "pepper-for-tests"
FORGOTTEN = ("5550001112223334", "5550001112223335")


def conversation(psid: str) -> list[Any]:
    return [f.delivery(f.message("hi", psid=psid, ts=f.T0)),
            f.delivery(f.message("again", psid=psid, ts=f.T0 + f.DAY))]  # fmt: skip


def test_a_refusal_under_another_salt_says_a_new_database_brings_forgotten_people_back(
    db_path: Path, log_dir: Path, tmp_path: Path, runner: CliRunner,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.setenv("REFSCOPE_ID_SALT", SALT)
    log = f.write_ndjson(
        log_dir / "a.ndjson",
        [*conversation(FORGOTTEN[0]), *conversation(FORGOTTEN[1]), *conversation("7")],
    )
    pipeline.run([str(log)], db_path)
    for psid in FORGOTTEN:
        res = runner.invoke(cli, ["forget", psid, "--db", str(db_path)])
        assert res.exit_code == 0, res.output
    for lost in (None, "another-salt"):
        if lost is None:
            monkeypatch.delenv("REFSCOPE_ID_SALT")
        else:
            monkeypatch.setenv("REFSCOPE_ID_SALT", lost)
        for args in (["ingest", str(log)], ["forget", "7"]):
            res = runner.invoke(cli, [*args, "--db", str(db_path)])
            assert res.exit_code != 0, res.output
            said = " ".join(res.output.split())
            assert "start a new database" in said, said
            assert "2 people forgotten in this one" in said, said
            assert "would bring them back" in said, said
    # What it says is so: a new database read from the same logs holds them again.
    new_db = tmp_path / "new.duckdb"
    res = runner.invoke(cli, ["ingest", str(log), "--db", str(new_db)])
    assert res.exit_code == 0, res.output
    assert "3 new contacts" in " ".join(res.output.split()), res.output


def test_a_refusal_in_a_database_that_forgot_no_one_says_nothing_of_forgotten_people(
    db_path: Path, log_dir: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REFSCOPE_ID_SALT", SALT)
    log = f.write_ndjson(log_dir / "a.ndjson", conversation("7"))
    pipeline.run([str(log)], db_path)
    monkeypatch.delenv("REFSCOPE_ID_SALT")
    res = runner.invoke(cli, ["ingest", str(log), "--db", str(db_path)])
    said = " ".join(res.output.split())
    assert res.exit_code != 0 and "start a new database" in said, said
    assert "forgotten" not in said, said
