"""What `pull logs` left in `.pull` beside the database when it was killed: the log as the server
sent it (people's ids and words), which a forget must not leave behind, and which any later pull
deletes once it is a day old (README, Pulling over HTTP and Privacy)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from ingest import fetch, remote
from ingest.cli import cli
from ingest.download import SPOOL_PREFIX
from tests import factories as f
from tests.ingest.fetch_server import lines

PERSON = "4455667788990011"


def _gone_pid() -> int:
    """The pid of a process that has ended (and been reaped): a killed pull's."""
    proc = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    return int(proc.stdout)


def _download(spool_dir: Path, pid: int, body: bytes) -> Path:
    spool_dir.mkdir(mode=0o750, exist_ok=True)
    spool = spool_dir / f"{SPOOL_PREFIX}{pid}-{time.monotonic_ns()}"
    spool.write_bytes(body)
    return spool


def test_a_forget_removes_what_a_killed_pull_left_and_keeps_a_running_pulls_download(
    tmp_path: Path,
) -> None:
    """A pull killed (SIGKILL, the OOM killer) after its download leaves the whole log in
    `.pull` for a day, and for good when no pull follows: a forget left the person's id and
    words there. A running pull's download is kept: its ingest leaves the person out."""
    db_file = tmp_path / "r.duckdb"
    said = f.delivery(f.message("my address is 12 Elm Street", psid=PERSON))
    log = f.write_ndjson(tmp_path / "a.ndjson", [said])
    run = CliRunner()
    res = run.invoke(cli, ["ingest", str(log), "--db", str(db_file), "--no-progress"])
    assert res.exit_code == 0, res.output
    spool_dir = tmp_path / ".pull"
    killed = _download(spool_dir, _gone_pid(), log.read_bytes())
    running = _download(spool_dir, os.getpid(), log.read_bytes())  # this process: alive

    res = run.invoke(cli, ["forget", PERSON, "--db", str(db_file)])

    assert res.exit_code == 0, res.output
    assert not killed.exists()
    assert running.exists()
    # A notice, as the spill files an ingest removed: on stderr, stdout has forget's figures.
    assert f"removed 1 download a killed `refscope pull logs` left in {spool_dir}" in res.stderr
    assert res.stdout.startswith("forgotten: ") and "download" not in res.stdout, res.stdout
    for leftover in tmp_path.rglob("*"):
        if leftover.is_file() and leftover not in (log, running):
            assert PERSON.encode() not in leftover.read_bytes(), leftover
            assert b"Elm Street" not in leftover.read_bytes(), leftover


def test_a_forget_with_no_pull_leftovers_says_nothing_of_them(tmp_path: Path) -> None:
    db_file = tmp_path / "r.duckdb"
    log = f.write_ndjson(tmp_path / "a.ndjson", [f.delivery(f.message("hi", psid=PERSON))])
    run = CliRunner()
    assert run.invoke(cli, ["ingest", str(log), "--db", str(db_file)]).exit_code == 0
    res = run.invoke(cli, ["forget", PERSON, "--db", str(db_file)])
    assert res.exit_code == 0, res.output
    assert "refscope pull logs" not in res.output


def test_a_pull_deletes_a_killed_pulls_download_over_a_day_old_and_keeps_a_newer_one(
    site: Any, db_path: Path
) -> None:
    """README: a pull "deletes what a killed pull left there over a day ago" (its own
    download, made an instant before, is never that old)."""
    s, base = site
    s.files["/log.ndjson"] = lines(0, 3)
    spool_dir = db_path.parent / ".pull"
    old = _download(spool_dir, _gone_pid(), b"old\n")
    day_ago = time.time() - fetch.STALE_SPOOL_SECONDS - 60
    os.utime(old, (day_ago, day_ago))
    new = _download(spool_dir, _gone_pid(), b"new\n")

    assert remote.pull_logs(base + "/log.ndjson", {}, db_path) is not None

    assert not old.exists()
    assert new.exists()
