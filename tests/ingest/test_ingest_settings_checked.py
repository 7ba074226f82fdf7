"""An ingest refuses a setting of its environment that is no value before it reads anything,
whether or not there is anything new to read: a cron job's typo shows on its first run."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

import tests.factories as f
from dashboard.cli import cli


@pytest.mark.parametrize(
    "name, value, said",
    [("REFSCOPE_INGEST_BATCH", "big", "REFSCOPE_INGEST_BATCH='big': give a size such as 8MB"),
     ("REFSCOPE_INGEST_MEMORY", "1KB", "REFSCOPE_INGEST_MEMORY='1KB': give at least 128MB"),
     ("REFSCOPE_KEEP_TEXT", "maybe", "REFSCOPE_KEEP_TEXT='maybe': give 1")],
)  # fmt: skip
def test_a_setting_that_is_no_value_is_refused_also_with_nothing_new_to_read(
    db_path: Path, log_dir: Path, monkeypatch: pytest.MonkeyPatch, name: str, value: str, said: str
) -> None:
    """`REFSCOPE_INGEST_BATCH=big` passed unsaid (exit 0, "nothing new to read") on every run
    that found no new line, and stopped the first one that did: the batch size was checked
    only once a file was read, unlike the memory share and `REFSCOPE_KEEP_TEXT`."""
    log = f.write_ndjson(log_dir / "a.ndjson", [f.delivery(f.message(psid="u1"))])
    args = ["ingest", str(log), "--db", str(db_path), "--no-progress"]
    assert CliRunner().invoke(cli, args).exit_code == 0
    before = db_path.stat().st_mtime_ns
    monkeypatch.setenv(name, value)
    res = CliRunner().invoke(cli, args)
    assert res.exit_code == 1 and said in res.output, res.output
    assert "nothing new" not in res.output
    assert db_path.stat().st_mtime_ns == before
