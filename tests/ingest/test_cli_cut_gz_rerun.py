"""`refscope ingest` in a process of its own, run again over a .gz cut short that has not
changed since: a copy that never finished, or an archive still to be completed."""

from __future__ import annotations

import gzip
from pathlib import Path

import tests.factories as f
from tests.conftest import Query
from tests.factories import T0
from tests.ingest.cli_setup import _run_refscope


def test_a_gz_cut_short_and_unchanged_is_not_read_again_until_it_grows(tmp_path: Path) -> None:
    """Its part read was stored as read part-way: every later run (every round of --follow)
    decompressed it again up to its cut, for 0 lines, and wrote an empty run of its own
    ("run 2: 1 of 1 file read, 0 lines"); running ingest twice is to change nothing."""
    logs = tmp_path / "logs"
    logs.mkdir()
    lines = [f.line(f.delivery(f.message("hi", psid=f"u{i}", ts=T0 + i))) for i in range(3000)]
    whole = gzip.compress("".join(x + "\n" for x in lines).encode(), mtime=0)
    gz = logs / "webhooks-1.ndjson.gz"
    gz.write_bytes(whole[: len(whole) * 2 // 3])
    db_file = str(tmp_path / "db.duckdb")

    first = _run_refscope("ingest", str(logs), "--db", db_file, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "the compressed stream ends early" in first.stderr  # a warning: on stderr
    assert "ends early" not in first.stdout, first.stdout
    query = Query(Path(db_file))
    ((read,),) = query("SELECT count(*) FROM events")
    assert 0 < read < 3000

    again = _run_refscope("ingest", str(logs), "--db", db_file, cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert again.stdout.startswith("nothing new to read in 1 file"), again.stdout
    assert query("SELECT count(*) FROM ingest_runs") == [(1,)]

    gz.write_bytes(whole)  # completed: the rest is read, nothing twice
    last = _run_refscope("ingest", str(logs), "--db", db_file, cwd=tmp_path)
    assert last.returncode == 0, last.stderr
    assert f"{3000 - read:,} lines" in last.stdout and "0 duplicates" in last.stdout, last.stdout
    assert "ends early" not in last.stdout + last.stderr
    assert query("SELECT count(*), count(DISTINCT psid) FROM events") == [(3000, 3000)]
    assert query("SELECT count(*) FROM rejects") == [(0,)]
