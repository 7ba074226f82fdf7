"""`refscope pull logs` credentials kept off the command line, where `ps` shows every account on
the machine a process's arguments: REFSCOPE_PULL_HEADERS holds headers ('Name: value', one a
line), and a credential given with --header is warned of, never shown."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ingest.cli import cli
from tests.ingest.fetch_server import TOKEN, lines

pytestmark = pytest.mark.usefixtures("fast_retries")
ENV = "REFSCOPE_PULL_HEADERS"


def test_headers_from_the_environment_are_sent_and_never_shown(
    site: Any, db_path: Path, runner: CliRunner, query: Any
) -> None:
    s, base = site
    s.require_auth = True
    s.files["/log.ndjson"] = lines(0, 2)
    env = {ENV: f"Accept: */*\nAuthorization: {TOKEN}\n"}
    res = runner.invoke(cli, ["pull", "logs", base + "/log.ndjson", "--db", str(db_path)],
                        env=env)  # fmt: skip
    assert res.exit_code == 0, res.output
    assert query("SELECT count(*) FROM events") == [(2,)]
    assert "s3cr3t" not in res.output and "on the command line" not in res.output


def test_a_malformed_line_of_the_environment_is_named_by_its_place_not_shown(
    site: Any, db_path: Path, runner: CliRunner
) -> None:
    _, base = site
    env = {ENV: "Accept: */*\nBearer s3cr3t-no-colon"}
    res = runner.invoke(cli, ["pull", "logs", base + "/log.ndjson", "--db", str(db_path)],
                        env=env)  # fmt: skip
    assert res.exit_code == 1
    assert f"{ENV} line #2 of 2: a header is 'Name: value'" in res.output
    assert "s3cr3t" not in res.output


def test_a_credential_on_the_command_line_is_warned_of(
    site: Any, db_path: Path, runner: CliRunner
) -> None:
    s, base = site
    s.require_auth = True
    s.files["/log.ndjson"] = lines(0, 2)
    res = runner.invoke(cli, ["pull", "logs", base + "/log.ndjson", "--header",
                              f"Authorization: {TOKEN}", "--db", str(db_path)])  # fmt: skip
    assert res.exit_code == 0, res.output
    assert (f"--header Authorization is on the command line, where `ps` shows it to every "
            f"account on this machine: set it in {ENV} instead") in res.output  # fmt: skip
    assert "s3cr3t" not in res.output
