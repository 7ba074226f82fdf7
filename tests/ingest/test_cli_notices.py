"""Warnings and notices go to stderr, the summary to stdout: a cron job or script that keeps
the summary (`refscope ingest … > summary.txt`) gets none of them in it, and a person whose
stdout is redirected still sees them on the terminal."""

from __future__ import annotations

import gzip
import io
import os
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from rich.console import Console

import tests.factories as f
from ingest import cli as cli_module
from ingest import db
from ingest.cli import cli
from ingest.sizes import size_text
from tests.ingest.fetch_server import lines, pull_cli
from tests.ingest.graph_setup import serving
from tests.ingest.rebuild_setup import run_rebuild
from tests.ingest.spill_setup import left_by, spill_folder
from tests.ingest.test_graph_facts import ACCOUNT, TODAY, TOKEN
from tests.ingest.test_graph_refused_day import HEAVY, SINCE, OneDayTooBig, _rows

REMOVED = "removed 3 temporary files"  # what left_by leaves, said once removed


def _odd_folder(tmp_path: Path) -> Path:
    """A folder of no log name: the ingest warns that it reads none of its files."""
    odd = tmp_path / "odd"
    odd.mkdir()
    (odd / "notes.txt").write_text("hi")
    return odd


def test_ingest_warns_on_stderr_and_keeps_stdout_for_its_summary(
    tmp_path: Path, runner: CliRunner
) -> None:
    db_file = tmp_path / "r.duckdb"
    left_by(db_file, os.getpid())
    log = f.write_ndjson(tmp_path / "logs" / "a.ndjson", [f.delivery(f.message("hi"))])
    odd = _odd_folder(tmp_path)

    res = runner.invoke(cli, ["ingest", str(log), str(odd), "--db", str(db_file)])

    assert res.exit_code == 0, res.output
    warning = f"warning: {odd}: no file is read by its name"
    assert warning in res.stderr and REMOVED in res.stderr, res.stderr
    assert res.stdout.startswith("run 1: 1 of 1 file read"), res.stdout
    assert "warning" not in res.stdout and REMOVED not in res.stdout, res.stdout


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

    assert res.exit_code == 0, res.output
    warning = f"warning: {base}/t.ndjson.gz: the compressed stream ends early"
    assert warning in res.stderr and REMOVED in res.stderr, res.stderr
    assert res.stdout.startswith("run "), res.stdout
    assert "warning" not in res.stdout and REMOVED not in res.stdout, res.stdout


def test_pull_ads_names_a_refused_day_on_stderr_and_its_rows_on_stdout(
    db_path: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = OneDayTooBig(heavy=HEAVY)
    monkeypatch.setenv("REFSCOPE_META_TOKEN", TOKEN)
    with serving(fake.answer) as fake.base:
        fake.all = _rows("2.00")
        res = runner.invoke(cli, [
            "pull", "ads", "--account", ACCOUNT, "--base-url", fake.base, "--since", str(SINCE),
            "--until", str(TODAY), "--db", str(db_path)])  # fmt: skip
    assert res.exit_code == 0, res.output
    assert f"warning: {HEAVY} not pulled" in res.stderr, res.stderr
    assert res.stdout.startswith("10 insight rows") and "warning" not in res.stdout, res.stdout


def test_rebuild_says_what_it_removed_on_stderr_and_its_summary_on_stdout(old: Path) -> None:
    new = old.with_name("new.duckdb")
    work = db.partial(new)
    left_by(work, os.getpid())

    res = run_rebuild("--db", str(old), "--out", str(new))

    assert res.exit_code == 0, res.output
    said = f"{REMOVED} ({size_text(3 * 2800)}) that a killed process had spilled to"
    assert f"{said} {spill_folder(work)}" in res.stderr, res.stderr
    assert res.stdout.startswith("run ") and REMOVED not in res.stdout, res.stdout
