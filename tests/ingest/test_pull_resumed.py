"""`refscope pull logs` stopped part-way (SIGKILL, Ctrl-C, a failed batch) against a real HTTP
server on 127.0.0.1: the next pull goes on from the last line committed, with a Range (or, from
a server without Range support, the lines already read skipped; a .gz's too), so the resumed
run's `ingest_runs` row counts each line once and the tables are those of one clean pull; an
export replaced meanwhile is read from its start."""

from __future__ import annotations

import gzip
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from ingest import pipeline, remote
from ingest.errors import SourceError
from tests.conftest import Query
from tests.ingest.fetch_server import lines, stopped_mid_download
from tests.ingest.paced_ingest import HOLDING, Paced

pytestmark = pytest.mark.usefixtures("fast_retries")

SMALL_BATCHES = {"REFSCOPE_INGEST_BATCH": "8KB"}  # 400 lines: some 13 batches
COUNTS = "lines_read, events_parsed, events_added, duplicates, bytes_read, rejects_added"


def _tables(db_file: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every table, ingest_runs without its times."""
    q = Query(db_file)
    tables = q.tables()
    tables["ingest_runs"] = q("SELECT * EXCLUDE (started_at, finished_at, seconds) "
                              "FROM ingest_runs ORDER BY ALL")  # fmt: skip
    return tables


def _cli(url: str, db_file: Path) -> subprocess.CompletedProcess[str]:
    """`refscope pull logs` as a process of its own."""
    return subprocess.run(
        [sys.executable, "-m", "ingest", "pull", "logs", url, "--db", str(db_file),
         "--no-progress"],
        env={**os.environ, **SMALL_BATCHES}, capture_output=True, text=True, timeout=600,
    )  # fmt: skip


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT], ids=["sigkill", "ctrl-c"])
def test_a_pull_stopped_mid_ingest_goes_on_from_its_last_committed_line(
    site: Any, tmp_path: Path, sig: signal.Signals
) -> None:
    """Recorded nowhere, the lines the stopped pull committed were downloaded and read again:
    its resumed run said 496 lines, 496 events (400 new, 96 duplicates) of a 400-line log."""
    s, base = site
    s.files["/w.ndjson"] = lines(0, 400) + b"not json\n"
    url = base + "/w.ndjson"
    clean_db, stopped_db = tmp_path / "clean.duckdb", tmp_path / "stopped.duckdb"
    assert _cli(url, clean_db).returncode == 0
    clean = _tables(clean_db)
    assert len(clean["events"]) == 400 and len(clean["rejects"]) == 1

    args = ["pull", "logs", url, "--db", str(stopped_db), "--no-progress"]
    with Paced(args, {**os.environ, **SMALL_BATCHES}, "after:3", stdout=subprocess.PIPE,
               stderr=subprocess.PIPE) as paced:  # fmt: skip
        assert paced.wait_for(HOLDING), "the pull finished before its third batch committed"
        paced.proc.send_signal(sig)
        paced.proc.communicate()
    q = Query(stopped_db)
    done, lines_done, mtime = q("SELECT offset_done, lines_done, mtime_ns FROM ingest_files")[0]
    read = q.scalar("SELECT count(*) FROM events")
    assert 0 < read == lines_done < 400 and mtime == -1
    assert done == len(lines(0, lines_done))  # the committed lines' end, not the download's

    asked, sent = len(s.requests), s.sent
    again = _cli(url, stopped_db)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "(resumed" in again.stdout and "0 duplicates" in again.stdout, again.stdout
    (request,) = s.requests[asked:]
    assert request["Range"] == f"bytes={done - 4096}-"  # the overlap that proves the same log
    assert s.sent - sent == len(s.files["/w.ndjson"]) - done + 4096
    got = _tables(stopped_db)
    assert {t for t in clean if clean[t] != got.get(t)} == set()
    assert "nothing new at" in _cli(url, stopped_db).stdout  # recorded whole now


def test_a_pull_killed_mid_download_commits_no_run_and_the_next_stores_what_a_clean_one_does(
    site: Any, tmp_path: Path
) -> None:
    s, base = site
    s.files["/w.ndjson"] = lines(0, 40)
    url = base + "/w.ndjson"
    clean_db, killed_db = tmp_path / "clean.duckdb", tmp_path / "killed.duckdb"
    assert _cli(url, clean_db).returncode == 0
    s.trickle = 0.002  # a byte at a time: the download takes minutes
    stopped_mid_download(s, url, killed_db, signal.SIGKILL)
    assert Query(killed_db)("SELECT count(*) FROM ingest_runs") == [(0,)]
    s.trickle = 0.0
    assert _cli(url, killed_db).returncode == 0
    assert _tables(killed_db) == _tables(clean_db)


class _SecondBatchFails:
    """pipeline._load, but for the second batch of a run: a SourceError."""

    def __init__(self) -> None:
        self.load, self.calls = pipeline._load, 0

    def __call__(self, *args: Any) -> None:
        self.calls += 1
        if self.calls == 2:
            raise SourceError("stopped by the test")
        self.load(*args)


def _stopped_after_first_batch(url: str, db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A pull of url whose second batch fails: its first batch is committed, its run open."""
    monkeypatch.setenv("REFSCOPE_INGEST_BATCH", "2KB")
    failing = _SecondBatchFails()
    monkeypatch.setattr(pipeline, "_load", failing)
    with pytest.raises(SourceError, match="stopped by the test"):
        remote.pull_logs(url, {}, db_path)
    monkeypatch.setattr(pipeline, "_load", failing.load)


@pytest.mark.parametrize(
    ("path", "ranges"),
    [("/log.ndjson", True), ("/log.ndjson", False), ("/log.ndjson.gz", True)],
    ids=["ranges", "no-ranges", "gz"],
)
def test_the_pull_after_a_stopped_one_reads_each_line_once(
    site: Any, db_path: Path, query: Query, monkeypatch: pytest.MonkeyPatch, path: str,
    ranges: bool,
) -> None:  # fmt: skip
    s, base = site
    s.ranges = ranges
    text = lines(0, 50)
    s.files[path] = gzip.compress(text, mtime=0) if path.endswith(".gz") else text
    _stopped_after_first_batch(base + path, db_path, monkeypatch)
    first = query.scalar("SELECT count(*) FROM events")
    assert 0 < first < 50
    assert query("SELECT lines_done, mtime_ns FROM ingest_files") == [(first, -1)]
    res = remote.pull_logs(base + path, {}, db_path)
    assert res is not None and res.resumed
    assert (res.lines, res.events_parsed, res.events_added, res.duplicates) == (50, 50, 50, 0)
    assert query(f"SELECT {COUNTS} FROM ingest_runs") == [(50, 50, 50, 0, len(text), 0)]
    assert query("SELECT offset_done, lines_done, mtime_ns FROM ingest_files") == [
        (len(text), 50, 0)
    ]
    if ranges and not path.endswith(".gz"):
        assert s.requests[-1]["Range"].startswith("bytes=")


def test_an_export_replaced_after_a_stopped_pull_is_read_from_its_start(
    site: Any, db_path: Path, query: Query, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The bytes before the offset are not those read: the new export's lines all count."""
    s, base = site
    s.files["/log.ndjson"] = lines(0, 50)
    _stopped_after_first_batch(base + "/log.ndjson", db_path, monkeypatch)
    first = query.scalar("SELECT count(*) FROM events")
    s.files["/log.ndjson"] = lines(100, 30) + lines(0, 50)  # rotated: new lines first
    res = remote.pull_logs(base + "/log.ndjson", {}, db_path)
    assert res is not None and res.resumed
    assert (res.lines, res.events_added, res.duplicates) == (first + 80, 80, first)
    assert query.scalar("SELECT count(*) FROM events") == 80
    assert query("SELECT offset_done, lines_done, mtime_ns FROM ingest_files") == [
        (len(s.files["/log.ndjson"]), 80, 0)
    ]
