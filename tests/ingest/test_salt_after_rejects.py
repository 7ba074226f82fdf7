"""A database whose first runs stored only rejected lines holds ids all the same: as they came,
with the person's text, when read without a salt. A salt set later is refused as in a database
with events, or the "salted" database would hold raw ids and text in `rejects.raw`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from ingest.cli import cli
from tests import factories as f
from tests.conftest import Query

SALT = "pepper-for-tests"
# A message without a timestamp: rejected (`no valid timestamp`), kept whole without a salt.
NO_TIME = {
    "object": "page",
    "entry": [{"id": f.PAGE_ID, "messaging": [
        {"sender": {"id": f.PSID}, "recipient": {"id": f.PAGE_ID},
         "message": {"mid": "m_1", "text": "my phone is 0701234567"}},
    ]}],
}  # fmt: skip


def test_a_salt_set_after_runs_that_only_rejected_lines_is_refused(
    db_path: Path, log_dir: Path, query: Query, runner: CliRunner,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    first = f.write_ndjson(log_dir / "a.ndjson", [json.dumps(NO_TIME)])
    res = runner.invoke(cli, ["ingest", str(first), "--db", str(db_path)])
    assert res.exit_code == 0, res.output
    assert f.PSID in query.scalar("SELECT raw FROM rejects")  # as it came: no salt yet
    before = query.tables()
    monkeypatch.setenv("REFSCOPE_ID_SALT", SALT)
    later = f.write_ndjson(log_dir / "b.ndjson", [f.delivery(f.message("hi", psid="222", ts=f.T0))])
    res = runner.invoke(cli, ["ingest", str(later), "--db", str(db_path)])
    assert res.exit_code != 0 and "made without REFSCOPE_ID_SALT" in res.output, res.output
    res = runner.invoke(cli, ["forget", "333", "--db", str(db_path)])
    assert res.exit_code != 0 and "made without REFSCOPE_ID_SALT" in res.output, res.output
    assert query.tables() == before  # nothing written: id_scheme still says plain
    assert query.scalar("SELECT any_value(scheme) FROM id_scheme") == "plain"
