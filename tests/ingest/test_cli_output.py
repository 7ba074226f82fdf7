"""What the commands print: counts in the singular, a one-line summary, the bar, the URL."""

from __future__ import annotations

import errno
import io
import os
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from rich.console import Console

import tests.factories as f
from dashboard.cli import cli
from ingest import cli_progress, pipeline
from tests.factories import MINUTE, T0
from tests.ingest.cli_setup import _log


@pytest.mark.parametrize(
    ("host", "url"), [("127.0.0.1", "http://localhost:"), ("::1", "http://[::1]:")]
)
def test_the_dashboard_line_gives_a_url_that_opens(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, host: str, url: str
) -> None:
    import socket

    started: list[object] = []
    monkeypatch.setattr(os, "execve", lambda *a: started.append(a))
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family) as probe:
        probe.bind((host, 0))
        port = probe.getsockname()[1]
    result = runner.invoke(cli, ["dashboard", "--host", host, "--port", str(port)])
    assert result.exit_code == 0 and len(started) == 1, result.output
    assert f"refscope dashboard on {url}{port} " in result.output


def test_forget_says_when_no_row_held_the_id(
    runner: CliRunner, db_path: Path, log_dir: Path
) -> None:
    assert runner.invoke(cli, ["ingest", str(_log(log_dir)), "--db", str(db_path)]).exit_code == 0
    typo = runner.invoke(cli, ["forget", "u9", "--db", str(db_path)])
    assert typo.exit_code == 0, typo.output
    assert "no row held that id" in typo.stderr
    found = runner.invoke(cli, ["forget", "u1", "--db", str(db_path)])
    assert found.exit_code == 0 and "no row held" not in found.output
    elsewhere = db_path.with_name("refscpoe.duckdb")  # a mistyped --db
    missing = runner.invoke(cli, ["forget", "u1", "--db", str(elsewhere)])
    assert missing.exit_code == 0  # a forget before the first ingest is kept for it
    assert f"{elsewhere} did not exist: it was created to keep the forget" in missing.stderr
    assert "did not exist" not in found.output


def test_one_of_a_kind_is_said_in_the_singular(
    runner: CliRunner, db_path: Path, log_dir: Path, tmp_path: Path
) -> None:
    """ "1 contacts", "1 touches", "1 of 1 files read", "1 partitions written": one is singular
    in every count a command prints, as "1 duplicate" and "1 reject" already were."""
    log = _log(log_dir)
    run = runner.invoke(cli, ["ingest", str(log), "--db", str(db_path),
                              "--lake", str(tmp_path / "lake")])  # fmt: skip
    assert run.exit_code == 0, run.output
    assert "1 of 1 file read, 2 lines" in run.output
    again = runner.invoke(cli, ["ingest", str(log), "--db", str(db_path)])
    assert "nothing new to read in 1 file" in again.output
    found = runner.invoke(cli, ["forget", "u1", "--db", str(db_path),
                                "--lake", str(tmp_path / "lake")])  # fmt: skip
    assert found.exit_code == 0, found.output
    assert found.output.startswith(
        "forgotten: 1 event, 1 touch, 1 contact, 0 contact days, 0 history rows, 0 comments, "
        "0 other feed changes, 0 rejected lines\n"
    ), found.output
    assert "lake: " in found.output
    assert not re.search(r"\b1 [a-z_ ]*?s\b[,\n]", found.output), found.output


# --- output a cron log can grep ------------------------------------------------------------------


def test_the_run_summary_is_one_line_when_piped(
    runner: CliRunner, db_path: Path, log_dir: Path
) -> None:
    result = runner.invoke(cli, ["ingest", str(_log(log_dir)), "--db", str(db_path)])
    assert result.exit_code == 0, result.output
    (run,) = [line for line in result.stdout.splitlines() if line.startswith("run ")]
    assert "1 of 1 file read" in run and "new contacts in" in run and run.endswith("events/s)"), run


def test_progress_forces_the_bar_even_for_a_small_input(
    runner: CliRunner, db_path: Path, log_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    started: list[bool] = []

    class Recording(cli_progress.Progress):
        def start(self) -> None:
            started.append(True)

    monkeypatch.setattr(cli_progress, "Progress", Recording)
    path = str(_log(log_dir))
    assert runner.invoke(cli, ["ingest", path, "--db", str(db_path)]).exit_code == 0
    assert started == []  # piped and small: no bar
    other = str(db_path.with_name("other.duckdb"))
    forced = runner.invoke(cli, ["ingest", path, "--db", other, "--progress"])
    assert forced.exit_code == 0, forced.output
    assert started == [True]


MB_50 = 50 * 1024 * 1024  # "on a terminal, for 50 MB or more", as `ingest --help` says


@pytest.mark.parametrize(
    ("terminal", "forced", "total", "shown"),
    [
        (True, None, MB_50 - 1, False),  # on a terminal, small: over before a bar would help
        (True, None, MB_50, True),  # on a terminal, 50 MB: the bar
        (False, None, MB_50, False),  # piped (cron's log), however big: no bar
        (True, False, MB_50, False),  # --no-progress on a terminal: none
        (False, True, 1, True),  # --progress piped and small: the bar all the same
    ],
)
def test_the_bar_shows_on_a_terminal_from_50_mb_unless_forced(
    terminal: bool, forced: bool | None, total: int, shown: bool
) -> None:
    console = Console(file=io.StringIO(), force_terminal=terminal)
    bar = cli_progress.ReadBar(console, forced)
    try:
        bar.plan(total)
        assert bar.bar.live.is_started is shown
    finally:
        bar.stop()


@pytest.mark.parametrize(("name", "value"), [("FORCE_COLOR", "1"), ("TTY_COMPATIBLE", "1")])
def test_colours_forced_into_a_pipe_bring_no_bar(
    name: str, value: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """FORCE_COLOR (or TTY_COMPATIBLE=1) has rich take a pipe for a terminal, for colours in a CI
    or cron log: the bar is still left out, or its every frame would be written into the log."""
    monkeypatch.setenv(name, value)
    with (tmp_path / "cron.log").open("w") as log:
        console = Console(file=log)
        assert console.is_terminal  # rich's view: colours
        bar = cli_progress.ReadBar(console, None)
        try:
            bar.plan(MB_50)
            assert not bar.bar.live.is_started
        finally:
            bar.stop()
    assert (tmp_path / "cron.log").read_text() == ""


def test_a_log_that_grows_while_read_grows_the_bars_total(db_path: Path, log_dir: Path) -> None:
    """A live log written to after the run planned it is read to its end: the bar's total
    follows, so it ends at 100% rather than past its total (428/214 bytes)."""
    log = f.write_ndjson(log_dir / "live.ndjson", [f.delivery(f.message(psid="u1", mid="m1"))])
    bar = cli_progress.ReadBar(Console(file=io.StringIO()), False)

    def planned(total: int) -> None:
        bar.plan(total)
        f.write_ndjson(log, [f.delivery(f.message(psid="u2", mid="m2"))], mode="a")

    try:
        result = pipeline.run([str(log)], db_path, on_plan=planned, progress=bar.advance)
        (task,) = bar.bar.tasks
        assert result.events_added == 2
        assert task.completed == task.total == log.stat().st_size
    finally:
        bar.stop()


def test_a_reader_gone_away_gets_no_error_line(
    runner: CliRunner, db_path: Path, log_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`refscope ingest … | head -1`: the summary's write to a closed pipe fails, which is no
    error of the run to report ("Error: Broken pipe" on stderr) as a file error would be."""
    from ingest import cli as cli_module

    def closed_pipe(*args: object) -> None:
        raise BrokenPipeError(errno.EPIPE, "Broken pipe")

    monkeypatch.setattr(cli_module, "print_summary", closed_pipe)
    result = runner.invoke(cli, ["ingest", str(_log(log_dir)), "--db", str(db_path)])
    assert result.exit_code == 1  # as click ends a command whose stdout went away
    assert "Error" not in result.stderr and "Broken pipe" not in result.stderr, result.stderr


def test_a_warning_shows_a_name_in_brackets_as_it_is(
    runner: CliRunner, db_path: Path, tmp_path: Path
) -> None:
    """A folder or file name is no markup: "[old]" in a warning stays in it, as typed."""
    logs = tmp_path / "logs [old]"
    logs.mkdir()
    _log(logs, "webhooks.ndjson.1 [bold]")
    result = runner.invoke(cli, ["ingest", str(logs), "--db", str(db_path)])
    assert result.exit_code == 0, result.output
    out = " ".join(result.output.split())
    assert (
        f"warning: {logs}: no file is read by its name (1 left out: webhooks.ndjson.1 [bold])"
        in out
    ), out


def test_prune_says_what_it_removed_of_each_kind(
    runner: CliRunner, db_path: Path, log_dir: Path
) -> None:
    """Each figure under its own name and in its own plural ("2 touchs", or the clicks
    counted as contacts would misreport what a retention policy deleted)."""
    click = {"object": "refscope_click", "ref": "flyer", "page": "acmebakery", "qr": True,
             "device": "mobile"}  # fmt: skip
    log = f.write_ndjson(
        log_dir / "webhooks.ndjson",
        [
            f.delivery(f.postback(referral=f.referral_obj("bio_link"), psid="u1", ts=T0)),
            f.delivery(f.postback(referral=f.referral_obj("flyer"), psid="u2", ts=T0 + MINUTE)),
            f.delivery(f.message("hello", psid="u2", ts=T0 + 2 * MINUTE)),
        ],
    )
    clicks = f.write_ndjson(log_dir / "clicks-2023-11-14.vm-1.ndjson",
                            [{**click, "ts": T0 + i} for i in range(4)])  # fmt: skip
    ingested = runner.invoke(cli, ["ingest", str(log), str(clicks), "--db", str(db_path)])
    assert ingested.exit_code == 0, ingested.output
    result = runner.invoke(cli, ["prune", "--older-than", "1d", "--db", str(db_path)])
    assert result.exit_code == 0, result.output
    assert re.fullmatch(
        r"removed data before \d{4}-\d\d-\d\d: 3 events, 2 touches, 4 clicks, 1 contact day, "
        r"2 contacts, 0 rejected lines\n",
        result.output,
    ), result.output


def test_forget_says_its_figures_in_the_plural_and_the_page_it_looked_on(
    runner: CliRunner, db_path: Path, log_dir: Path
) -> None:
    log = f.write_ndjson(
        log_dir / "webhooks.ndjson",
        [
            f.delivery(f.postback(referral=f.referral_obj("bio_link"), psid="u1", ts=T0)),
            f.delivery(f.postback(referral=f.referral_obj("flyer"), psid="u1", ts=T0 + MINUTE)),
        ],
    )
    assert runner.invoke(cli, ["ingest", str(log), "--db", str(db_path)]).exit_code == 0
    found = runner.invoke(cli, ["forget", "u1", "--db", str(db_path)])
    assert found.exit_code == 0, found.output
    assert found.output.startswith("forgotten: 2 events, 2 touches, 1 contact, "), found.output
    typo = runner.invoke(cli, ["forget", "u2", "--page", f.PAGE_ID, "--db", str(db_path)])
    assert typo.exit_code == 0, typo.output
    assert f"no row held that id on page {f.PAGE_ID} (check it)" in typo.stderr, typo.stderr
    again = runner.invoke(cli, ["forget", "u1", "--page", f.PAGE_ID, "--db", str(db_path)])
    assert again.exit_code == 0, again.output
    assert re.fullmatch(
        r"u1 was already forgotten on every page: nothing left to remove\n"
        rf"rewrote {re.escape(str(db_path))} \(.+ MiB → .+ MiB\): the removed rows' bytes are "
        r"gone from it\n",
        again.output,
    ), again.output


@pytest.mark.parametrize(
    ("flag", "forced"), [([], None), (["--progress"], True), (["--no-progress"], False)]
)
def test_ingest_leaves_the_bar_to_the_terminal_unless_told(
    runner: CliRunner, db_path: Path, log_dir: Path, monkeypatch: pytest.MonkeyPatch,
    flag: list[str], forced: bool | None,
) -> None:  # fmt: skip
    """Without --progress or --no-progress the bar is the terminal's call (None), as the help
    says: "default: on a terminal, for 50 MB or more"."""
    from ingest import cli as cli_module

    given: list[bool | None] = []

    class Recording(cli_progress.ReadBar):
        def __init__(self, console: Console, progress: bool | None) -> None:
            given.append(progress)
            super().__init__(console, progress)

    monkeypatch.setattr(cli_module, "ReadBar", Recording)
    result = runner.invoke(cli, ["ingest", str(_log(log_dir)), "--db", str(db_path), *flag])
    assert result.exit_code == 0, result.output
    assert given == [forced]


def test_a_resumed_runs_summary_says_its_counts_include_the_interrupted_part(
    runner: CliRunner, db_path: Path, log_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run stopped by a broken .gz after a batch committed, then run again: "2 new contacts"
    counts the part read before the stop too, which the summary says."""
    import gzip

    from ingest import pipeline
    from ingest.errors import RefscopeError

    monkeypatch.setenv("REFSCOPE_INGEST_BATCH", "64")  # a.ndjson commits before b.gz is read
    _log(log_dir, "a.ndjson")
    bad = log_dir / "b.ndjson.gz"
    bad.write_bytes(gzip.compress(b'{"object":"page"}\n' * 100, mtime=0)[:10] + b"\xff" * 40)
    with pytest.raises(RefscopeError, match="run 1 stays open"):
        pipeline.run([str(log_dir)], db_path)
    bad.unlink()
    result = runner.invoke(cli, ["ingest", str(log_dir), "--db", str(db_path)])
    assert result.exit_code == 0, result.output
    assert "run 1 (resumed: the counts and seconds include its interrupted part): " in result.output
    assert "2 new contacts" in result.output
    fresh = runner.invoke(cli, ["ingest", str(_log(log_dir, "c.ndjson")), "--db", str(db_path)])
    assert "run 2: " in fresh.output and "resumed" not in fresh.output, fresh.output
