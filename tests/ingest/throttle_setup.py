"""`refscope pull ads` against a Graph API that a proxy throttles once, as the tests of what
the commands print of its answer run it."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner, Result

from dashboard.cli import cli
from tests.ingest.graph_setup import ACCOUNT, TODAY, Answer, insight, serving


def pull_ads_throttled_once(
    runner: CliRunner, db_path: Path, message: str
) -> tuple[Result, list[str]]:
    """`refscope pull ads` of TODAY (its token already in REFSCOPE_META_TOKEN) against a Graph
    API that a proxy throttles once, then answers with one insights row: the result and the
    paths asked."""
    asked: list[str] = []

    def answer(path: str, query: dict[str, list[str]], auth: str) -> Answer:
        asked.append(path)
        if len(asked) == 1:  # throttled, by a proxy: no error code, a Retry-After of 1 s
            return 429, {"error": {"message": message}}, {"Retry-After": "1"}
        return 200, {"data": [insight(str(TODAY), "601", "1.50")]}, {}

    with serving(answer) as base:
        args = ["pull", "ads", "--account", ACCOUNT, "--base-url", base,
                "--since", str(TODAY), "--until", str(TODAY), "--db", str(db_path)]  # fmt: skip
        return runner.invoke(cli, args), asked
