"""`refscope ingest` in a process of its own, a log gone between the listing of its inputs and
their planning: while the run waits for another process's lock, a retention job removes a log,
or logrotate renames it to a name no ingest reads."""

from __future__ import annotations

from pathlib import Path

import tests.factories as f
from ingest import db
from tests.conftest import Query
from tests.factories import T0
from tests.ingest.cli_setup import _held, _refscope

LOCK_WAIT = "locked by another process"


def test_a_log_removed_while_the_run_waits_for_the_lock_is_left_out_with_a_warning(
    tmp_path: Path,
) -> None:
    """It stopped the run with "No such file or directory" and exit 1, the other logs unread,
    although a log removed or rotated away after the run listed it is left out with a warning
    (README, Guarantees), as it already was once planned."""
    logs = tmp_path / "logs"
    logs.mkdir()
    gone = f.write_ndjson(logs / "webhooks-1.ndjson", [f.delivery(f.message(psid="g", ts=T0))])
    kept = f.write_ndjson(
        logs / "webhooks-2.ndjson",
        [f.delivery(f.message(psid=f"k{i}", ts=T0 + i)) for i in range(3)],
    )
    db_file = tmp_path / "db.duckdb"
    db.connect(db_file).close()
    with _held(db_file):
        proc = _refscope("ingest", str(logs), "--db", str(db_file), cwd=tmp_path)
        assert proc.stderr is not None
        first = proc.stderr.readline()  # listed, and waiting for the lock
        assert LOCK_WAIT in first, first
        gone.rename(gone.with_name("webhooks-1.ndjson.1"))  # rotated to a name no ingest reads
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, (out, err)
    warning = f"warning: {gone.resolve()}: removed (rotated?) since this run listed it: not read"
    assert warning in err and "warning" not in out, (out, err)  # a notice: on stderr
    assert "1 of 2 files read" in out, out
    query = Query(db_file)
    assert query("SELECT DISTINCT file FROM events") == [(str(kept.resolve()),)]
    assert query("SELECT count(*) FROM events") == [(3,)]
    assert query("SELECT path FROM ingest_files") == [(str(kept.resolve()),)]
    assert query("SELECT finished_at IS NOT NULL FROM ingest_runs") == [(True,)]
