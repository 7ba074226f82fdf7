"""Two `refscope pull logs` of one URL at once (two cron jobs that overlap) against a real HTTP
server on 127.0.0.1: the second stops at once with a clear message, and the database holds the
export once."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from ingest import fetch, remote
from ingest.cli import cli
from tests.ingest.fetch_server import lines, run_totals

WAIT_SECONDS = 30


def test_a_second_pull_of_a_url_stops_while_the_first_runs(
    site: Any, db_path: Path, runner: CliRunner
) -> None:
    """Both read where the last pull stopped and ingested the same bytes: the export's
    rejected line was counted twice, and its lines twice in the runs."""
    s, base = site
    s.files["/w.ndjson"] = lines(0, 20) + b"not json\n"
    url = base + "/w.ndjson"
    downloading, release = threading.Event(), threading.Event()

    def held(done: int, total: int | None) -> None:  # the first pull, mid-download
        downloading.set()
        assert release.wait(WAIT_SECONDS)

    first: list[Any] = []
    thread = threading.Thread(
        target=lambda: first.append(remote.pull_logs(url, {}, db_path, on_bytes=held))
    )
    thread.start()
    try:
        assert downloading.wait(WAIT_SECONDS)
        out = runner.invoke(cli, ["pull", "logs", url, "--db", str(db_path)])
    finally:
        release.set()
        thread.join(WAIT_SECONDS)
    assert out.exit_code == 1, out.output
    assert "another `refscope pull logs` of this URL into this database is running" in out.output
    assert "this one stops, nothing read" in out.output
    assert len(s.requests) == 1  # the second asked for nothing
    assert first and first[0] is not None  # the first pull ingested the export
    assert run_totals(db_path) == (21, 20, 1)
    # Once the first has ended, the next pull runs: nothing new.
    out = runner.invoke(cli, ["pull", "logs", url, "--db", str(db_path)])
    assert out.exit_code == 0 and "nothing new" in out.output, out.output
    assert list((db_path.parent / ".pull").iterdir()) == []  # no download, no lock left


def test_a_killed_pulls_lock_is_taken_over(site: Any, db_path: Path, runner: CliRunner) -> None:
    """A pull killed (SIGKILL, the OOM killer) while it holds the lock leaves its file behind,
    holding nothing: the next pull runs, and removes it."""
    s, base = site
    s.files["/w.ndjson"] = lines(0, 3)
    url = base + "/w.ndjson"
    spool_dir = db_path.parent / ".pull"
    spool_dir.mkdir()
    code = (
        "import sys, time; from pathlib import Path; from ingest import pull_lock\n"
        "with pull_lock.only_pull(Path(sys.argv[1]), sys.argv[2]):\n"
        "    print('held', flush=True); time.sleep(60)"
    )
    args = [sys.executable, "-c", code, str(spool_dir), fetch.safe_url(url)]
    with subprocess.Popen(args, stdout=subprocess.PIPE) as proc:
        assert proc.stdout is not None and proc.stdout.readline() == b"held\n"
        out = runner.invoke(cli, ["pull", "logs", url, "--db", str(db_path)])
        assert out.exit_code == 1 and "another `refscope pull logs`" in out.output, out.output
        proc.kill()
    assert [p.name[:5] for p in spool_dir.iterdir()] == ["lock-"]  # left by the killed pull
    out = runner.invoke(cli, ["pull", "logs", url, "--db", str(db_path)])
    assert out.exit_code == 0, out.output
    assert run_totals(db_path) == (3, 3, 0)
    assert list(spool_dir.iterdir()) == []
