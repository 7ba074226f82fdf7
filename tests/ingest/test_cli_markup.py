"""Text from the data (reject reasons, file names, URLs, HTTP answers) in what the commands print
through rich: shown as given, never read as markup ("[/x]" was a MarkupError traceback, "[b]"
left out)."""

from __future__ import annotations

import re
import shlex
import signal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import tests.factories as f
from dashboard.cli import cli
from ingest import cli_pull
from tests.ingest.cli_setup import _refscope
from tests.ingest.graph_setup import TOKEN
from tests.ingest.insight_setup import row
from tests.ingest.test_cli_follow import _line_starting
from tests.ingest.throttle_setup import pull_ads_throttled_once


def test_a_reject_reason_with_brackets_is_shown_as_given(
    runner: CliRunner, tmp_path: Path, db_path: Path
) -> None:
    """An insights row in a currency '[/x]' beside spend in EUR: its reason in the summary."""
    log = f.write_ndjson(tmp_path / "insights.ndjson", [
        row("2026-11-02", account_currency="EUR", account_id="1"),
        row("2026-11-03", account_currency="[/x]", account_id="1"),
        row("2026-11-04", account_currency="[b]", account_id="1"),
    ])  # fmt: skip
    res = runner.invoke(cli, ["ingest", str(log), "--db", str(db_path)])
    assert res.exit_code == 0, res.output
    words = " ".join(res.output.split())
    assert "insights row in [/x] 1" in words and "insights row in [b] 1" in words, words


def test_rebuild_names_its_files_as_given(runner: CliRunner, tmp_path: Path) -> None:
    """A folder named 'data [old]': the lines naming the database and the new file keep it."""
    here = tmp_path / "data [old] :fire:"  # nor an emoji code
    log = f.write_ndjson(here / "logs [b]" / "a.ndjson", [f.delivery(f.message("hi"))])
    old, new = here / "refscope.duckdb", here / "new [/x].duckdb"
    assert runner.invoke(cli, ["ingest", str(log), "--db", str(old)]).exit_code == 0
    res = runner.invoke(cli, ["rebuild", "--db", str(old), "--out", str(new)])
    assert res.exit_code == 0, res.output
    words = " ".join(res.output.split())
    assert f"carried over from {old}: " in words, words
    # What to do next is advice, on stderr: a terminal shows it when stdout is kept.
    advice = " ".join(res.stderr.split())
    assert f"{old} is unchanged. Check {new}, then" in advice, advice
    mv = shlex.join(["mv", str(new), str(old)])  # quoted, to be pasted into a shell
    assert advice.endswith(mv) and "is unchanged" not in res.stdout, res.stdout


def test_pull_logs_says_nothing_new_at_the_url_as_given(
    site: Any, db_path: Path, runner: CliRunner
) -> None:
    s, base = site
    s.answers["/exports/[b]x[/x].ndjson"] = 204  # nothing in it yet
    url = base + "/exports/[b]x[/x].ndjson"
    res = runner.invoke(cli, ["pull", "logs", url, "--db", str(db_path)])
    assert res.exit_code == 0, res.output
    assert res.output == f"nothing new at {url}\n", res.output


def test_pull_ads_on_a_terminal_shows_a_throttled_answer_as_given(
    db_path: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The spinner says why it waits, quoting the Graph API's answer: '[/x]' in it was a
    MarkupError traceback in place of the pull."""
    monkeypatch.setenv("REFSCOPE_META_TOKEN", TOKEN)
    monkeypatch.setenv("FORCE_COLOR", "1")  # a terminal, to rich
    monkeypatch.setattr(cli_pull, "on_a_terminal", lambda console: True)  # a real one: spinner
    monkeypatch.setenv("COLUMNS", "200")  # its line on one line
    res, asked = pull_ads_throttled_once(runner, db_path, "[b]busy[/x]")
    assert res.exit_code == 0 and res.exception is None, (res.exception, res.output)
    plain = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", res.output)  # without the terminal's colours
    assert len(asked) == 2 and "1 insight row (1 result page " in plain, plain
    assert "pulling ad insights… throttled (code 0: [b]busy[/x]); retrying in 1 s" in plain, plain


@pytest.mark.parametrize(("name", "value"), [("FORCE_COLOR", "1"), ("TTY_COMPATIBLE", "1")])
def test_pull_ads_with_colours_forced_into_a_pipe_draws_no_spinner(
    name: str, value: str, db_path: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """FORCE_COLOR (or TTY_COMPATIBLE=1) has rich take cron's pipe for a terminal: the spinner
    wrote its frames into the log, and a wait was said only inside them; it is a line."""
    monkeypatch.setenv("REFSCOPE_META_TOKEN", TOKEN)
    monkeypatch.setenv(name, value)
    res, _ = pull_ads_throttled_once(runner, db_path, "busy")
    assert res.exit_code == 0 and res.exception is None, (res.exception, res.output)
    plain = re.sub(r"\x1b\[[0-9;]*m", "", res.output)  # colours stay; nothing else drawn
    assert "\x1b" not in plain and "\r" not in plain, repr(res.output)
    assert "pulling ad insights" not in plain, repr(res.output)
    assert "pull ads: throttled (code 0: busy); retrying in 1 s" in plain, plain
    assert "1 insight row (1 result page " in plain, plain


def test_a_name_with_an_emoji_code_is_shown_as_given(
    site: Any, runner: CliRunner, tmp_path: Path, db_path: Path
) -> None:
    """':fire:' in a folder's name or a URL is no 🔥."""
    folder = tmp_path / "logs :fire:"
    folder.mkdir()
    (folder / "notes.txt").write_text("hi")
    res = runner.invoke(cli, ["ingest", str(folder), "--db", str(db_path)])
    assert res.exit_code == 0, res.output
    assert res.output.startswith(f"warning: {folder}: no file is read by its name"), res.output
    s, base = site
    s.answers["/:fire:.ndjson"] = 204
    res = runner.invoke(cli, ["pull", "logs", base + "/:fire:.ndjson", "--db", str(db_path)])
    assert res.output == f"nothing new at {base}/:fire:.ndjson\n", res.output


def test_follow_names_a_folder_ending_in_a_backslash_as_given(tmp_path: Path) -> None:
    """Escaped as markup, its last backslash was shown twice: 'logs\\' as 'logs\\\\'."""
    logs = tmp_path / "logs\\"
    f.write_ndjson(logs / "webhooks.ndjson", [f.delivery(f.message("hi"))])
    proc = _refscope("ingest", str(logs), "--follow", "--interval", "0.2", "--db",
                     str(tmp_path / "refscope.duckdb"), cwd=tmp_path)  # fmt: skip
    try:
        assert proc.stderr is not None
        first = proc.stderr.readline()  # a notice: on stderr
        # Ctrl-C once the first round has said what it read, its handler set by then (the line
        # above comes before it), however long a loaded machine took to get there.
        _line_starting(proc, "run ")
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert first == f"following {logs} every 0.2 s (Ctrl-C stops)\n", (first, out, err)


def test_pull_logs_says_nothing_new_at_a_url_ending_in_a_backslash_as_given(
    site: Any, db_path: Path, runner: CliRunner
) -> None:
    """Escaped as markup, its last backslash was shown twice."""
    s, base = site
    s.answers["/export\\"] = 204
    res = runner.invoke(cli, ["pull", "logs", base + "/export\\", "--db", str(db_path)])
    assert res.exit_code == 0, res.output
    assert res.output == f"nothing new at {base}/export\\\n", res.output
