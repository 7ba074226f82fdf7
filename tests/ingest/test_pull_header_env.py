"""`refscope pull logs` credentials kept off the command line, where `ps` shows every account on
the machine a process's arguments: REFSCOPE_PULL_HEADERS holds headers ('Name: value', one a
line), and a credential given with --header is warned of, never shown."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from tests.ingest.fetch_server import TOKEN, log_behind_credentials, pull_cli

pytestmark = pytest.mark.usefixtures("fast_retries")
ENV = "REFSCOPE_PULL_HEADERS"


def test_headers_from_the_environment_are_sent_and_never_shown(
    site: Any, db_path: Path, runner: CliRunner, query: Any
) -> None:
    url = log_behind_credentials(site)
    res = pull_cli(runner, url, db_path, env={ENV: f"Accept: */*\nAuthorization: {TOKEN}\n"})
    assert res.exit_code == 0, res.output
    assert query("SELECT count(*) FROM events") == [(2,)]
    assert "s3cr3t" not in res.output and "on the command line" not in res.output


def test_a_malformed_line_of_the_environment_is_named_by_its_place_not_shown(
    site: Any, db_path: Path, runner: CliRunner
) -> None:
    _, base = site
    res = pull_cli(runner, base + "/log.ndjson", db_path,
                   env={ENV: "Accept: */*\nBearer s3cr3t-no-colon"})  # fmt: skip
    assert res.exit_code == 1
    assert f"{ENV} line #2 of 2: a header is 'Name: value'" in res.output
    assert "s3cr3t" not in res.output


def test_a_credential_on_the_command_line_is_warned_of(
    site: Any, db_path: Path, runner: CliRunner
) -> None:
    url = log_behind_credentials(site)
    res = pull_cli(runner, url, db_path, "--header", f"Authorization: {TOKEN}")
    assert res.exit_code == 0, res.output
    assert (f"--header Authorization is on the command line, where `ps` shows it to every "
            f"account on this machine: set it in {ENV} instead") in res.output  # fmt: skip
    assert "s3cr3t" not in res.output
