"""A `refscope pull logs` killed with SIGKILL (a real process, against a real HTTP server on
127.0.0.1) after the export's last batch committed, before its run finished (touches,
contacts, the run's end): the next pull of the URL finds nothing new to download, and still
leaves what one clean pull leaves, as `refscope ingest` does when it resumes a killed run."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from tests.conftest import Query
from tests.ingest.fetch_server import lines, pull_cli
from tests.ingest.paced_ingest import HOLDING, Paced

TIMING = "started_at, finished_at, seconds"


def _tables(db_file: Path) -> dict[str, list[tuple[Any, ...]]]:
    q = Query(db_file)
    tables = q.tables()
    tables["ingest_runs"] = q(f"SELECT * EXCLUDE ({TIMING}) FROM ingest_runs ORDER BY ALL")
    return tables


def test_a_pull_killed_before_its_run_finished_is_finished_by_the_next_pull(
    site: Any, tmp_path: Path, runner: CliRunner
) -> None:
    s, base = site
    # One batch; the retried copies of its first lines are the run's own duplicates, set
    # apart only when the run finishes.
    s.files["/w.ndjson"] = lines(0, 20) + lines(0, 5) + b"not json\n"
    url = base + "/w.ndjson"
    clean_db, killed_db = tmp_path / "clean.duckdb", tmp_path / "killed.duckdb"
    assert pull_cli(runner, url, clean_db).exit_code == 0
    clean = _tables(clean_db)
    assert len(clean["contacts"]) == 20 and len(clean["events"]) == 20

    args = ["pull", "logs", url, "--db", str(killed_db), "--no-progress"]
    with Paced(args, dict(os.environ), "after:1", stdout=subprocess.PIPE,
               stderr=subprocess.PIPE) as paced:  # fmt: skip
        assert paced.wait_for(HOLDING), "the pull finished before its batch committed"
        paced.proc.send_signal(signal.SIGKILL)
        paced.proc.communicate()
    q = Query(killed_db)
    assert q("SELECT count(*) FROM ingest_runs WHERE finished_at IS NULL") == [(1,)]
    assert q("SELECT count(*) FROM contacts") == [(0,)]

    again = pull_cli(runner, url, killed_db)
    assert again.exit_code == 0, again.output
    assert "run 1 (resumed" in again.output, again.output
    assert "nothing new" not in again.output
    got = _tables(killed_db)
    assert {t for t in clean if clean[t] != got.get(t)} == set()
    # Finished: a pull after it has nothing new, and changes no row.
    last = pull_cli(runner, url, killed_db)
    assert last.exit_code == 0 and "nothing new at" in last.output, last.output
    assert _tables(killed_db) == got
