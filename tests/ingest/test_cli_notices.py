"""Warnings and notices go to stderr, the summary to stdout: a cron job or script that keeps
the summary (`refscope ingest … > summary.txt`) gets none of them in it, and a person whose
stdout is redirected still sees them on the terminal."""

from __future__ import annotations

import gzip
import io
import os
import signal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from rich.console import Console

import tests.factories as f
from ingest import cli as cli_module
from ingest import db, pipeline
from ingest.cli import cli
from ingest.errors import RefscopeError
from ingest.sizes import size_text
from tests.ingest.fetch_server import lines, pull_cli
from tests.ingest.rebuild_setup import run_rebuild
from tests.ingest.spill_setup import left_by, spill_folder
from tests.ingest.test_pull_stops import _stopped_by

REMOVED = "removed 3 temporary files"  # what left_by leaves, said once removed


def _odd_folder(tmp_path: Path) -> Path:
    """A folder of no log name: the ingest warns that it reads none of its files."""
    odd = tmp_path / "odd"
    odd.mkdir()
    (odd / "notes.txt").write_text("hi")
    return odd


def _said_apart(res: Result, warning: str, summary: str) -> None:
    """A run that warned and removed spill files: both on stderr, stdout its summary alone."""
    assert res.exit_code == 0, res.output
    assert warning in res.stderr and REMOVED in res.stderr, res.stderr
    assert res.stdout.startswith(summary), res.stdout
    assert "warning" not in res.stdout and REMOVED not in res.stdout, res.stdout


def test_ingest_warns_on_stderr_and_keeps_stdout_for_its_summary(
    tmp_path: Path, runner: CliRunner
) -> None:
    db_file = tmp_path / "r.duckdb"
    left_by(db_file, os.getpid())
    log = f.write_ndjson(tmp_path / "logs" / "a.ndjson", [f.delivery(f.message("hi"))])
    odd = _odd_folder(tmp_path)

    res = runner.invoke(cli, ["ingest", str(log), str(odd), "--db", str(db_file)])

    _said_apart(res, f"warning: {odd}: no file is read by its name", "run 1: 1 of 1 file read")


def test_follow_warns_on_stderr_in_a_round_that_reads_and_in_one_that_does_not(
    tmp_path: Path, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = f.write_ndjson(tmp_path / "logs" / "a.ndjson", [f.delivery(f.message("hi"))])
    odd = _odd_folder(tmp_path)
    monkeypatch.setattr(cli_module.time, "sleep", lambda seconds: None)
    for paths, said in (([str(log), str(odd)], "run "), ([str(odd)], None)):
        out, err = io.StringIO(), io.StringIO()
        cli_module._follow(Console(file=out, width=200), paths, db_path, 2.0, None, None,
                           cycles=1, err_console=Console(file=err, width=200))  # fmt: skip
        assert f"warning: {odd}: no file is read by its name" in err.getvalue(), err.getvalue()
        assert "warning" not in out.getvalue(), out.getvalue()
        assert said is None or said in out.getvalue(), out.getvalue()


def test_pull_logs_warns_on_stderr_and_keeps_stdout_for_its_summary(
    site: Any, db_path: Path, runner: CliRunner
) -> None:
    s, base = site
    whole = gzip.compress(lines(0, 3000))
    s.files["/t.ndjson.gz"] = whole[: len(whole) * 2 // 3]
    left_by(db_path, os.getpid())

    res = pull_cli(runner, base + "/t.ndjson.gz", db_path)

    warning = f"warning: {base}/t.ndjson.gz: the compressed stream ends early"
    _said_apart(res, warning, "run ")


def test_rebuild_says_what_it_removed_on_stderr_and_its_summary_on_stdout(old: Path) -> None:
    new = old.with_name("new.duckdb")
    work = db.partial(new)
    left_by(work, os.getpid())

    res = run_rebuild("--db", str(old), "--out", str(new))

    assert res.exit_code == 0, res.output
    said = f"{REMOVED} ({size_text(3 * 2800)}) that a killed process had spilled to"
    assert f"{said} {spill_folder(work)}" in res.stderr, res.stderr
    assert res.stdout.startswith("run ") and REMOVED not in res.stdout, res.stdout


@pytest.mark.parametrize("planned", [False, True], ids=["waiting", "reading"])
def test_a_stopped_ingest_says_so_on_stderr(
    tmp_path: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch, planned: bool
) -> None:
    """Stopped (SIGTERM, Ctrl-C), the run has no summary: what it left is said as the error
    of a failed run is, on stderr, and a summary kept gets no line of it."""
    log = f.write_ndjson(tmp_path / "logs" / "a.ndjson", [f.delivery(f.message("hi"))])

    def stopped(*args: Any, on_plan: Any = None, **kw: Any) -> Any:
        if planned:
            on_plan(1)
        _stopped_by(signal.SIGTERM, RuntimeError("Query interrupted"))

    monkeypatch.setattr(pipeline, "run", stopped)
    res = runner.invoke(cli, ["ingest", str(log), "--db", str(tmp_path / "r.duckdb")])
    assert res.exit_code == 143, res.output
    said = "stopped before committing anything" if planned else "stopped before reading anything"
    assert said in res.stderr and res.stdout == "", (res.stdout, res.stderr)


def test_a_stopped_rebuild_says_so_on_stderr(old: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def stopped(*args: Any, **kw: Any) -> Any:
        _stopped_by(signal.SIGINT)

    monkeypatch.setattr(pipeline, "run", stopped)
    new = old.with_name("new.duckdb")
    res = run_rebuild("--db", str(old), "--out", str(new))
    assert res.exit_code == 130, res.output
    assert f"stopped: {new} is not written" in res.stderr and res.stdout == "", res.output


def test_follow_says_its_notices_on_stderr_and_its_summaries_on_stdout(
    tmp_path: Path, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What it follows, that a round failed and that it reads again, a SIGHUP it goes on
    after, and that it stopped: notices, beside the errors; a round's summary on stdout."""
    log = f.write_ndjson(tmp_path / "logs" / "a.ndjson", [f.delivery(f.message("hi"))])
    real, runs, sleeps = pipeline.run, [], []

    def failing_once(*args: Any, **kw: Any) -> Any:
        runs.append(1)
        if len(runs) == 1:
            raise RefscopeError("the disk is away")
        return real(*args, **kw)

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        os.kill(os.getpid(), signal.SIGHUP)
        if len(sleeps) == 2:
            _stopped_by(signal.SIGINT)

    monkeypatch.setattr(pipeline, "run", failing_once)
    monkeypatch.setattr(cli_module.time, "sleep", sleep)
    out, err = io.StringIO(), io.StringIO()
    cli_module._follow(Console(file=out, width=200), [str(log)], db_path, 2.0, None, None,
                       err_console=Console(file=err, width=200))  # fmt: skip
    notes = err.getvalue().splitlines()
    assert notes[0] == f"following {log} every 2 s (Ctrl-C stops)", notes
    assert notes[-1] == "stopped" and "reading again" in notes, notes
    assert "SIGHUP: still following (Ctrl-C or SIGTERM stops)" in notes, notes
    assert out.getvalue().startswith("run 1: 1 of 1 file read"), out.getvalue()
    for line in ("following", "stopped", "reading again", "SIGHUP", "error"):
        assert line not in out.getvalue(), out.getvalue()
