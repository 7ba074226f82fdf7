"""`refscope pull logs` and `pull ads` stopped by Ctrl-C or SIGTERM (a service manager, `timeout`)
against real HTTP servers on 127.0.0.1: as `ingest` stops, with a message and the exit a shell
reports for that signal, nothing half-stored, and the next pull does it all."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ingest import insight_rows, pipeline
from ingest.cli import cli
from tests.ingest.fetch_server import lines
from tests.ingest.graph_setup import ACCOUNT, TODAY, TOKEN, FakeGraph, days

SIGNALS = pytest.mark.parametrize(
    ("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)], ids=["ctrl-c", "sigterm"]
)


def _stopped_by(sig: signal.Signals, error: Exception | None = None) -> None:
    """The signal arrives; DuckDB turns the interrupt of its query into its own error."""
    try:
        os.kill(os.getpid(), sig)
        time.sleep(5)
    except KeyboardInterrupt:
        if error is None:
            raise
        raise error from None
    raise AssertionError(f"{sig.name} did not interrupt the pull")


@SIGNALS
def test_a_stopped_pull_logs_says_so_and_the_next_pull_reads_it_all(
    site: Any, db_path: Path, runner: CliRunner, query: Any, monkeypatch: pytest.MonkeyPatch,
    sig: signal.Signals, code: int,
) -> None:  # fmt: skip
    """Stopped while its download was being ingested, `pull logs` printed a traceback ending
    in DuckDB's "RuntimeError: Query interrupted" (exit 1) on Ctrl-C, and a SIGTERM killed it
    without a word, its download left in `.pull`."""
    s, base = site
    s.files["/w.ndjson"] = lines(0, 20)
    run_plans = pipeline.run_plans

    def stopped(*args: Any, **kw: Any) -> Any:
        _stopped_by(sig, RuntimeError("Query interrupted"))

    monkeypatch.setattr(pipeline, "run_plans", stopped)
    found = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    out = runner.invoke(cli, ["pull", "logs", base + "/w.ndjson", "--db", str(db_path)])
    assert out.exit_code == code, out.output
    assert "stopped:" in out.stderr and "Traceback" not in out.output
    assert out.stdout == "", out.stdout  # a notice: on stderr, as the error of a failed pull
    assert {s: signal.getsignal(s) for s in found} == found  # the handlers are put back
    assert list((db_path.parent / ".pull").iterdir()) == []  # no download left behind
    monkeypatch.setattr(pipeline, "run_plans", run_plans)
    out = runner.invoke(cli, ["pull", "logs", base + "/w.ndjson", "--db", str(db_path)])
    assert out.exit_code == 0, out.output
    assert query.scalar("SELECT count(*) FROM events") == 20


@SIGNALS
def test_a_stopped_pull_ads_says_so_and_stores_nothing(
    graph: FakeGraph, db_path: Path, runner: CliRunner, query: Any,
    monkeypatch: pytest.MonkeyPatch, sig: signal.Signals, code: int,
) -> None:  # fmt: skip
    """Ctrl-C while the pages came was click's "Aborted!" with exit 1, a SIGTERM a kill by the
    signal without a word: a cron job's log could not tell a stop from a failure."""
    graph.rows = days(2)
    monkeypatch.setenv("REFSCOPE_META_TOKEN", TOKEN)
    insight_row = insight_rows.insight_row

    def stopped(*args: Any, **kw: Any) -> Any:
        _stopped_by(sig)

    monkeypatch.setattr(insight_rows, "insight_row", stopped)
    args = ["pull", "ads", "--account", ACCOUNT, "--base-url", graph.base,
            "--since", str(TODAY), "--db", str(db_path)]  # fmt: skip
    out = runner.invoke(cli, args)
    assert out.exit_code == code, out.output
    assert "stopped:" in out.stderr and "nothing was stored" in out.stderr
    assert out.stdout == "", out.stdout  # a notice: on stderr, as the error of a failed pull
    assert "Aborted" not in out.output and TOKEN not in out.output
    assert query.scalar("SELECT count(*) FROM ad_pulls") == 0
    monkeypatch.setattr(insight_rows, "insight_row", insight_row)
    out = runner.invoke(cli, args)
    assert out.exit_code == 0, out.output
    assert query.scalar("SELECT count(*) FROM ad_insights") == 2
