"""`refscope pull logs URL` and `pull ads --base-url` with a host beyond ASCII: read as a browser
reads it (UTS #46, https://www.unicode.org/reports/tr46/: fullwidth `ｅｘａｍｐｌｅ.com` is
example.com), asked and stored in that form; one IDNA 2008 does not allow (an emoji) refused,
naming the character and the rule. Fullwidth `１２７．０．０．１` is this machine, so the
real servers on 127.0.0.1 answer it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ingest import fetch, remote
from ingest.cli import cli
from tests.ingest.fetch_server import lines
from tests.ingest.graph_setup import ACCOUNT, TODAY, TOKEN, FakeGraph

pytestmark = pytest.mark.usefixtures("fast_retries")  # no backoff waits

FULLWIDTH = "１２７．０．０．１"  # 127.0.0.1, as an input method in fullwidth mode types it
EMOJI = "\N{GRINNING FACE}"
RULE = (
    f"has a host that is no valid host name under IDNA 2008: U+1F600 {EMOJI!r} is not allowed: "
    "a host name holds letters, digits and hyphens, no emoji or other symbol (RFC 5892)"
)


@pytest.mark.parametrize("user", ["", "reader:PASSW0RD@"], ids=["plain", "user-info"])
def test_a_log_url_with_a_fullwidth_host_is_pulled_as_its_ascii_form(
    site: Any, db_path: Path, runner: CliRunner, query: Any, user: str
) -> None:
    s, base = site
    s.files["/log.ndjson"] = lines(0, 3)
    wide = base.replace("//127.0.0.1", f"//{user}{FULLWIDTH}") + "/log.ndjson"
    res = runner.invoke(cli, ["pull", "logs", wide, "--db", str(db_path)])
    assert res.exit_code == 0, res.output
    assert query("SELECT count(*) FROM events") == [(3,)]
    assert query("SELECT path FROM ingest_files") == [(base + "/log.ndjson",)]
    assert fetch.safe_url(wide) == base + "/log.ndjson"
    # The same input as its ASCII form: nothing new, said under that name.
    res = runner.invoke(cli, ["pull", "logs", base + "/log.ndjson", "--db", str(db_path)])
    assert res.exit_code == 0 and f"nothing new at {base}/log.ndjson" in res.output, res.output
    assert "PASSW0RD" not in res.output


def test_a_graph_base_url_with_a_fullwidth_host_is_asked_as_its_ascii_form(
    graph: FakeGraph, db_path: Path
) -> None:
    """Plain http is taken only to this machine: fullwidth `１２７．０．０．１` is 127.0.0.1 (not
    `ｌｏｃａｌｈｏｓｔ`, which a machine may resolve to ::1 first, where no server listens)."""
    graph.rows = []
    wide = graph.base.replace("127.0.0.1", FULLWIDTH)
    res = remote.pull_ads(ACCOUNT, TOKEN, db_path, base_url=wide, sleep=graph.sleep,
                          since=TODAY - dt.timedelta(days=1), today=TODAY)  # fmt: skip
    assert res.pages == 1 and "time_range" in graph.requests[-1]


def test_a_log_url_whose_host_idna_refuses_says_the_character_and_the_rule(
    db_path: Path, runner: CliRunner
) -> None:
    url = f"https://reader:PASSW0RD@logs{EMOJI}.example/log.ndjson?sig=SIGNED"
    res = runner.invoke(cli, ["pull", "logs", url, "--db", str(db_path)])
    assert res.exit_code == 1, res.output
    assert res.output.strip() == (
        f"Error: pull logs: the URL {RULE}; not shown, as it may hold a credential"
    )


def test_a_graph_base_url_whose_host_idna_refuses_says_the_character_and_the_rule(
    graph: FakeGraph, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REFSCOPE_META_TOKEN", TOKEN)
    monkeypatch.setenv("REFSCOPE_GRAPH_URL", f"https://graph{EMOJI}.example")
    res = CliRunner().invoke(cli, ["pull", "ads", "--account", ACCOUNT, "--db", str(db_path)])
    assert res.exit_code == 1, res.output
    assert res.output.strip() == (
        f"Error: invalid Graph API base URL 'https://graph{EMOJI}.example': it {RULE}"
    )
    assert graph.requests == []
