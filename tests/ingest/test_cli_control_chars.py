"""Text from the data in what the commands print: a control character (an ESC, which starts a
terminal's commands: clear the screen, set its title) is shown as \\xNN, never sent as it is.
What the database stores keeps it as it came."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

import tests.factories as f
from dashboard.cli import cli
from tests.conftest import Query
from tests.ingest.graph_setup import TOKEN
from tests.ingest.insight_setup import row
from tests.ingest.rebuild_setup import run_rebuild
from tests.ingest.throttle_setup import pull_ads_throttled_once

CLEAR = "\x1bc\x1b]0;owned\x07"  # reset the terminal, then set its title


def _raw(text: str) -> bool:
    """Whether text holds a control character other than a line break."""
    return any(ord(c) < 32 and c != "\n" or 0x7F <= ord(c) <= 0x9F for c in text)


def test_a_file_name_in_a_warning_is_shown_escaped(
    runner: CliRunner, tmp_path: Path, db_path: Path
) -> None:
    folder = tmp_path / "logs"
    folder.mkdir()
    (folder / f"notes{CLEAR}.txt").write_text("hi")
    res = runner.invoke(cli, ["ingest", str(folder), "--db", str(db_path)])
    assert res.exit_code == 0, res.output
    assert not _raw(res.output), repr(res.output)
    assert "notes\\x1bc\\x1b]0;owned\\x07.txt" in res.output, res.output


def test_a_reject_reason_quoting_a_value_is_shown_escaped_and_stored_as_it_came(
    runner: CliRunner, tmp_path: Path, db_path: Path, query: Query
) -> None:
    log = f.write_ndjson(tmp_path / "insights.ndjson", [
        row("2026-11-02", account_currency="EUR", account_id="1"),
        row("2026-11-03", account_currency=CLEAR, account_id="1"),
    ])  # fmt: skip
    res = runner.invoke(cli, ["ingest", str(log), "--db", str(db_path)])
    assert res.exit_code == 0, res.output
    assert not _raw(res.output), repr(res.output)
    assert "insights row in \\x1bc\\x1b]0;owned\\x07" in res.output, res.output
    (reason,) = [r for (r,) in query("SELECT reason FROM rejects")]
    assert CLEAR in reason, reason


@pytest.mark.parametrize("where", ["missing", "rebuild"])
def test_a_file_name_in_an_error_is_shown_escaped(
    runner: CliRunner, tmp_path: Path, db_path: Path, where: str
) -> None:
    """Errors name files: one given that is not there, and a rebuild's inputs read before
    and gone since (its own ClickException)."""
    log = tmp_path / f"a{CLEAR}.ndjson"
    f.write_ndjson(log, [f.delivery(f.message("hi"))])
    if where == "missing":
        res = runner.invoke(cli, ["ingest", str(log) + "x", "--db", str(db_path)])
    else:
        assert runner.invoke(cli, ["ingest", str(log), "--db", str(db_path)]).exit_code == 0
        log.unlink()
        res = run_rebuild("--db", str(db_path), "--out", str(tmp_path / "new.duckdb"))
    assert res.exit_code == 1, res.output
    assert not _raw(res.output), repr(res.output)
    assert "a\\x1bc\\x1b]0;owned\\x07.ndjson" in res.output, res.output


def test_pull_ads_shows_a_throttled_answer_escaped(
    db_path: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The line saying why it waits quotes the Graph API's answer (or a proxy's)."""
    monkeypatch.setenv("REFSCOPE_META_TOKEN", TOKEN)
    res, _ = pull_ads_throttled_once(runner, db_path, f"busy{CLEAR}")
    assert res.exit_code == 0, res.output
    assert not _raw(res.output), repr(res.output)
    assert "pull ads: throttled (code 0: busy\\x1bc\\x1b]0;owned\\x07)" in res.output, res.output
