"""A log whose lines are rejected, read in each of the three ways that decide what the rejects
keep of a person (salted, salted with --keep-text, plain), and the person then forgotten: for
the tests of what a rejected line keeps of someone's text, attachments and payloads."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ingest import pipeline
from ingest.cli import cli
from tests import factories as f
from tests.conftest import Query

SALT = "pepper-for-tests"
PSID, OTHER = "5550001112223334", "5550001112229999"

# (REFSCOPE_ID_SALT, keep_text, whether the person's text is hidden in the rejects)
READINGS = pytest.mark.parametrize(
    ("salt", "keep_text", "hidden"),
    [(SALT, False, True), (SALT, True, False), (None, False, False)],
    ids=["salted", "salted-keep-text", "plain"],
)  # fmt: skip


def read_rejected(
    tmp_path: Path, db_path: Path, lines: list[Any], keep_text: bool | None = None
) -> list[str]:
    """The raw text of each rejected line, in line order, after reading lines as one log."""
    log = f.write_ndjson(tmp_path / "logs" / "webhooks-a.ndjson", lines)
    pipeline.run([str(log)], db_path, keep_text=keep_text)
    return raw_rejects(db_path)


def forget(runner: CliRunner, db_path: Path, psid: str = PSID) -> list[str]:
    """The raw text of each rejected line, in line order, after `refscope forget psid`."""
    result = runner.invoke(cli, ["forget", psid, "--db", str(db_path)])
    assert result.exit_code == 0, result.output
    return raw_rejects(db_path)


def raw_rejects(db_path: Path) -> list[str]:
    return [r[0] for r in Query(db_path)("SELECT raw FROM rejects ORDER BY line_no")]
