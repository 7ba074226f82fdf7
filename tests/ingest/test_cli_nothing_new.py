"""`refscope ingest` run again over logs with no byte past what it read: touched since, or
grown while the last run read them. "Running it twice changes nothing" (`ingest --help`)."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import pytest

import tests.factories as f
from ingest import pipeline, sources
from tests.conftest import Query
from tests.factories import T0
from tests.ingest.cli_setup import _run_refscope


@pytest.mark.parametrize("name", ["webhooks.ndjson", "webhooks-1.ndjson.gz"])
def test_a_log_only_touched_is_nothing_new(tmp_path: Path, name: str) -> None:
    """A new modification time alone (`touch`, a copy that keeps no times) made a run of its
    own: "run 2: 1 of 1 file read, 0 lines", a row in ingest_runs, the .gz decompressed anew."""
    logs = tmp_path / "logs"
    logs.mkdir()
    text = "".join(f.line(f.delivery(f.message(psid=f"u{i}", ts=T0 + i))) + "\n" for i in range(3))
    log = logs / name
    log.write_bytes(gzip.compress(text.encode()) if name.endswith(".gz") else text.encode())
    db_file = str(tmp_path / "db.duckdb")
    first = _run_refscope("ingest", str(logs), "--db", db_file, cwd=tmp_path)
    assert first.returncode == 0 and first.stdout.startswith("run 1: 1 of 1 file read"), first
    st = log.stat()
    os.utime(log, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    again = _run_refscope("ingest", str(logs), "--db", db_file, cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert again.stdout.startswith("nothing new to read in 1 file"), again.stdout
    assert Query(Path(db_file))("SELECT count(*) FROM ingest_runs") == [(1,)]


def test_a_log_grown_while_it_was_read_is_nothing_new_once_read(
    db_path: Path, query: Query, log_dir: Path
) -> None:
    """--follow beside a live receiver: the log grew between the run's planning and its read,
    which read on to the end it found. The next round, with no new line, was a run of 0 lines
    (printed as such); the next line is read once, as usual."""
    log = f.write_ndjson(log_dir / "webhooks.ndjson", [f.delivery(f.message(psid="u0", ts=T0))])

    def appended(total: int) -> None:  # after planning, before reading
        f.write_ndjson(log, [f.delivery(f.message(psid="u1", ts=T0 + 1))], mode="a")

    first = pipeline.run([str(log)], db_path, on_plan=appended)
    assert (first.lines, first.events_added) == (2, 2)
    idle = pipeline.run([str(log)], db_path)
    assert (idle.files_read, idle.lines) == (0, 0)
    assert query("SELECT count(*) FROM ingest_runs") == [(1,)]
    f.write_ndjson(log, [f.delivery(f.message(psid="u2", ts=T0 + 2))], mode="a")
    last = pipeline.run([str(log)], db_path)
    assert (last.files_read, last.lines, last.events_added) == (1, 1, 1)
    assert query("SELECT psid, line_no FROM events ORDER BY line_no") == [
        ("u0", 1), ("u1", 2), ("u2", 3)]  # fmt: skip


def test_a_gz_read_part_way_by_a_stopped_run_is_read_on_though_unchanged(
    db_path: Path, query: Query, log_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A .gz of the same size is nothing new only once read whole: one a stopped run read
    part-way (stored with mtime -1) has the rest to read."""
    monkeypatch.setenv("REFSCOPE_INGEST_BATCH", "8KB")
    lines = [f.delivery(f.message(psid=f"u{i}", ts=T0 + i)) for i in range(300)]
    gz = log_dir / "webhooks-1.ndjson.gz"
    gz.write_bytes(gzip.compress("".join(f.line(x) + "\n" for x in lines).encode()))

    def stopped(n: int) -> None:  # Ctrl-C once its first batch is committed
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        pipeline.run([str(log_dir)], db_path, progress=stopped)
    ((part, mtime),) = query("SELECT lines_done, mtime_ns FROM ingest_files")
    assert 0 < part < 300 and mtime == -1
    result = pipeline.run([str(log_dir)], db_path)
    assert (result.resumed, result.lines) == (True, 300)
    assert query("SELECT count(*), count(DISTINCT psid) FROM events") == [(300, 300)]


@pytest.mark.parametrize("name", ["webhooks.ndjson", "webhooks-1.ndjson.gz"])
def test_a_touched_log_is_checked_once_then_skipped_by_its_size_and_mtime(
    db_path: Path, query: Query, log_dir: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    """Found unchanged after a touch, its new mtime was never stored: every later run read its
    fingerprint again. Now the run that finds its bytes unchanged records the new mtime, and the
    next one skips it on its size and mtime alone, as it skips a file not touched."""
    text = "".join(f.line(f.delivery(f.message(psid=f"u{i}", ts=T0 + i))) + "\n" for i in range(3))
    log = log_dir / name
    log.write_bytes(gzip.compress(text.encode()) if name.endswith(".gz") else text.encode())
    assert pipeline.run([str(log_dir)], db_path).files_read == 1
    st = log.stat()
    os.utime(log, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    checks: list[Path] = []
    same_start = sources._same_start

    def counted(path: Path, offset: int, stored: str) -> bool:
        checks.append(path)
        return same_start(path, offset, stored)

    monkeypatch.setattr(sources, "_same_start", counted)
    touched = pipeline.run([str(log_dir)], db_path)
    assert (touched.files_read, touched.lines, len(checks)) == (0, 0, 1)
    assert query("SELECT mtime_ns FROM ingest_files") == [(st.st_mtime_ns + 10**9,)]
    again = pipeline.run([str(log_dir)], db_path)
    assert (again.files_read, again.lines, len(checks)) == (0, 0, 1)  # no check this time
    assert query("SELECT count(*) FROM ingest_runs") == [(1,)]
    if not name.endswith(".gz"):  # a line appended after: read, and only it
        f.write_ndjson(log, [f.delivery(f.message(psid="u9", ts=T0 + 9))], mode="a")
        last = pipeline.run([str(log_dir)], db_path)
        assert (last.files_read, last.lines, last.events_added) == (1, 1, 1)
