"""`refscope pull ads`, in a process of its own against a fake Graph API on 127.0.0.1: a token
or account that is no value is refused before Meta is asked, and a pull that fails (a token
Meta refuses) leaves no database behind where there was none: only a pull that stores makes
one, so a refused first pull does not leave an empty database for the next command to read."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.ingest.cli_setup import _refused_in_process
from tests.ingest.graph_setup import ACCOUNT, TOKEN, FakeGraph


def _pull_ads(graph: FakeGraph, cwd: Path, token: str, *args: str) -> str:
    """The one error line of a `pull ads` that failed."""
    return _refused_in_process("pull", "ads", "--base-url", graph.base, "--db", "refscope.duckdb",
                               *args, cwd=cwd, env={"REFSCOPE_META_TOKEN": token})  # fmt: skip


@pytest.mark.parametrize(
    "token, account, said",
    [("", ACCOUNT, "no access token: set REFSCOPE_META_TOKEN"),
     (f'"{TOKEN}"', ACCOUNT, "REFSCOPE_META_TOKEN is in quotes"),
     (f"{TOKEN} ", ACCOUNT, "REFSCOPE_META_TOKEN holds characters"),
     (TOKEN, "act_0123", "invalid account 'act_0123'"),
     (TOKEN, "1234567890", "invalid account '1234567890'")],
)  # fmt: skip
def test_a_token_or_account_that_is_no_value_is_refused_before_asking(
    graph: FakeGraph, tmp_path: Path, token: str, account: str, said: str
) -> None:
    error = _pull_ads(graph, tmp_path, token, "--account", account)
    assert said in error, error
    assert graph.requests == []
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("days", [(), ("--since", "2026-01-01", "--until", "2026-01-05")])
def test_a_token_meta_refuses_leaves_no_database_made(
    graph: FakeGraph, tmp_path: Path, days: tuple[str, ...]
) -> None:
    """Without --since, the default start was read from a database made for it, before Meta
    had answered: a refused token left an empty refscope.duckdb behind."""
    error = _pull_ads(graph, tmp_path, "EAAB-revoked-token", "--account", ACCOUNT, *days)
    assert "Graph API error 190" in error, error
    assert "EAAB-revoked-token" not in error
    assert graph.requests  # asked: only Meta can tell the token is refused
    assert os.listdir(tmp_path) == []
