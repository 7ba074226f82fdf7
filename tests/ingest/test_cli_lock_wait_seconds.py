"""The seconds and events/s of an ingest that first waited for another process's lock."""

from __future__ import annotations

import re
import time
from pathlib import Path

from ingest import db
from tests.conftest import Query
from tests.ingest.cli_setup import _held, _log, _refscope

HELD_AFTER_NOTICE = 5.0  # seconds the file stays held once the ingest said it waits


def test_a_wait_for_the_lock_is_not_counted_in_the_runs_seconds(tmp_path: Path) -> None:
    """An ingest started while an analyst's session held the file waited for it, then read two
    lines: its summary said "in 6.40 s (0 events/s)" and `ingest_runs.seconds` kept the 6.4 s,
    the wait counted as reading. The wait is said on stderr; the seconds are the run's own."""
    db_file = tmp_path / "db.duckdb"
    db.connect(db_file).close()
    (tmp_path / "logs").mkdir()
    log = _log(tmp_path / "logs")
    with _held(db_file, read_only=True):
        proc = _refscope("ingest", str(log), "--db", str(db_file), cwd=tmp_path)
        assert proc.stderr is not None
        notice = proc.stderr.readline()  # a second in, while the file is still held
        time.sleep(HELD_AFTER_NOTICE)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, (out, notice + err)
    assert "locked by another process" in notice, notice
    m = re.search(r" in ([\d.]+) s \(([\d,]+) events/s\)", out)
    assert m, out
    said = float(m.group(1))
    assert said < HELD_AFTER_NOTICE / 2, out  # two lines read in well under the wait
    assert int(m.group(2).replace(",", "")) > 0, out
    ((stored,),) = Query(db_file)("SELECT seconds FROM ingest_runs")
    assert stored < HELD_AFTER_NOTICE / 2 and round(stored, 2) == said, (stored, out)
