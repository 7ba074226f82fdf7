"""Runs in batches: each batch commits on its own, a stopped or killed run is resumed, and the
end result is that of one clean run (real subprocesses killed with SIGKILL)."""

from __future__ import annotations

import gzip
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import duckdb
import pytest

import tests.factories as f
from ingest import db, lines, load, pipeline, runlog, sources
from ingest.errors import DatabaseError, RefscopeError, SourceError
from tests.conftest import Query
from tests.ingest.logs import mixed_log, snapshot


def _corrupt_gz() -> bytes:
    """A .gz whose compressed data is damaged from its start (one cut short is no error): its
    first block has the reserved block type, so not one byte of it decompresses."""
    data = bytearray(gzip.compress(b'{"object":"page"}\n' * 100, mtime=0))
    data[10] |= 0b111
    return bytes(data)


def test_corrupt_gz_stops_the_run_and_the_next_run_finishes_it(
    db_path: Path, query: Query, log_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REFSCOPE_INGEST_BATCH", "64")  # a.ndjson commits before b.gz is read
    good = f.write_ndjson(log_dir / "a.ndjson", [f.delivery(f.message(psid="u1"))])
    bad = log_dir / "b.ndjson.gz"
    bad.write_bytes(_corrupt_gz())
    with pytest.raises(SourceError, match=re.escape(str(bad))) as err:
        pipeline.run([str(log_dir)], db_path)
    assert "run 1 stays open" in str(err.value) and "resumes it" in str(err.value)
    # What was committed stays, but the run is open: no contacts until it is finished.
    assert query("SELECT count(*) FROM events") == [(1,)]
    assert query("SELECT count(*) FROM contacts") == [(0,)]
    assert query("SELECT run_id, finished_at FROM ingest_runs") == [(1, None)]
    assert query("SELECT path FROM ingest_files") == [(str(good.resolve()),)]
    bad.unlink()
    result = pipeline.run([str(log_dir)], db_path)
    assert (result.run_id, result.resumed, result.events_added, result.new_contacts) == (
        1, True, 1, 1)  # fmt: skip
    assert query("SELECT run_id, finished_at IS NOT NULL, events_added FROM ingest_runs") == [
        (1, True, 1)
    ]


def test_tiny_batches_give_the_same_tables_as_one_batch(
    tmp_path: Path, log_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    f.write_ndjson(log_dir / "a.ndjson", mixed_log())
    f.write_ndjson(log_dir / "b.ndjson", [*mixed_log()[:3], f.delivery(f.message(psid="u9"))])
    tables = []
    for batch in ("", "300"):  # 300 bytes: every line or two commits on its own
        monkeypatch.setenv("REFSCOPE_INGEST_BATCH", batch)
        db_file = tmp_path / f"batch{batch}.duckdb"
        result = pipeline.run([str(log_dir)], db_file, keep_text=True)
        assert (result.files_read, result.events_added, result.rejects_added) == (2, 9, 2)
        query = Query(db_file)
        tables.append(
            (
                snapshot(query),
                query("SELECT * EXCLUDE (started_at, finished_at, seconds) FROM ingest_runs"),
            )  # fmt: skip
        )
    assert tables[0] == tables[1]


def test_a_batch_holds_at_most_the_batch_size(
    db_path: Path, log_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, n in (("a", 7), ("b", 2), ("c", 3)):
        f.write_ndjson(log_dir / f"{name}.ndjson",
                       [f.delivery(f.message(psid=f"{name}{i}", mid=f"m.{name}{i}"))
                        for i in range(n)])  # fmt: skip
    longest = max(len(ln) + 1 for p in log_dir.iterdir() for ln in p.read_text().splitlines())
    limit = 4 * longest  # four lines fit, five never (they are nearly equal in length)
    monkeypatch.setenv("REFSCOPE_INGEST_BATCH", str(limit))
    batches: list[bytes] = []
    load_batch = load.load_batch
    monkeypatch.setattr(load, "load_batch", lambda con, chunks, *a, **k: (
        batches.append(b"".join(c.data for _, c in chunks))
        or load_batch(con, chunks, *a, **k)))  # fmt: skip
    assert pipeline.run([str(log_dir)], db_path).events_added == 12
    # a's 7 lines as 4 + 3; b's 2 join nothing (3 + 2 lines would not fit), c's 3 neither.
    assert [b.count(b"\n") for b in batches] == [4, 3, 2, 3]
    assert max(len(b) for b in batches) <= limit


def test_the_progress_bar_ends_at_its_total_for_plain_and_gz_logs(
    db_path: Path, log_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The bar's total is the inputs' size on disk: its steps add up to it, a .gz's counted in
    compressed bytes (in decompressed ones the bar ran far past its end)."""
    lines_ = [f.delivery(f.message(psid=f"u{i}", mid=f"m.{i}")) for i in range(3000)]
    f.write_ndjson(log_dir / "a.ndjson", lines_[:1000])
    plain = (log_dir / "a.ndjson").read_bytes()
    f.write_ndjson(log_dir / "b.ndjson", lines_[1000:])
    (log_dir / "b.ndjson.gz").write_bytes(gzip.compress((log_dir / "b.ndjson").read_bytes()))
    (log_dir / "b.ndjson").unlink()
    monkeypatch.setenv("REFSCOPE_INGEST_BATCH", "64KB")  # many batches, several chunks a .gz
    totals: list[int] = []
    steps: list[int] = []
    result = pipeline.run([str(log_dir)], db_path, on_plan=totals.append, progress=steps.append)
    assert result.events_added == 3000
    on_disk = len(plain) + (log_dir / "b.ndjson.gz").stat().st_size
    assert totals == [on_disk]
    assert len(steps) > 3 and sum(steps) == on_disk


def test_a_batch_size_that_is_not_a_size_is_refused(
    db_path: Path, log_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = f.write_ndjson(log_dir / "a.ndjson", [f.delivery(f.message())])
    monkeypatch.setenv("REFSCOPE_INGEST_BATCH", "lots")
    with pytest.raises(SourceError, match="REFSCOPE_INGEST_BATCH='lots': give a size"):
        pipeline.run([str(path)], db_path)


def test_failure_in_the_first_batch_leaves_no_run(
    db_path: Path, query: Query, log_dir: Path
) -> None:
    f.write_ndjson(log_dir / "a.ndjson", [f.delivery(f.message())])
    bad = log_dir / "b.ndjson.gz"
    bad.write_bytes(_corrupt_gz())
    with pytest.raises(SourceError, match=re.escape(str(bad))):
        pipeline.run([str(log_dir)], db_path)
    for table in ("events", "rejects", "ingest_runs", "ingest_files", "contacts"):
        assert query(f"SELECT count(*) FROM {table}") == [(0,)], table


# --- crash safety -------------------------------------------------------------------------------

BIG_DELIVERIES = 150_000  # enough for a run of well over a second on a laptop
TIMING_COLUMNS = "started_at, finished_at, seconds"


@pytest.fixture(scope="module")
def big_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("big") / "webhooks.ndjson"
    path.write_text("\n".join(f.big_log_lines(BIG_DELIVERIES)) + "\n")
    return path


def _ingest_cmd(log: Path, db_file: Path) -> list[str]:
    return [sys.executable, "-m", "ingest", "ingest", str(log), "--db", str(db_file),
            "--no-progress"]  # fmt: skip


def _ingest_process(log: Path, db_file: Path) -> subprocess.Popen[bytes]:
    """An ingest in small batches, so that kills land between its commits too."""
    cwd = Path(pipeline.__file__).parent.parent
    env = {**os.environ, "REFSCOPE_INGEST_BATCH": "4MB"}
    return subprocess.Popen(
        _ingest_cmd(log, db_file),
        cwd=cwd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _open_run_events(db_file: Path) -> int:
    """Events committed by a run that has not finished (0 when there is none, or when the kill
    landed before the schema was made)."""
    if not db_file.exists():
        return 0
    con = duckdb.connect(str(db_file), read_only=True)
    try:
        if not con.execute("SELECT 1 FROM duckdb_tables() WHERE table_name = 'events'").fetchone():
            return 0
        row = con.execute(
            """SELECT count(*) FROM events WHERE run_id IN (
                   SELECT run_id FROM ingest_runs WHERE finished_at IS NULL)"""
        ).fetchone()
        return int(row[0]) if row else 0
    finally:
        con.close()


def _kill_after(proc: subprocess.Popen[bytes], seconds: float) -> bool:
    """SIGKILL proc after seconds; True if it was still running then."""
    try:
        proc.wait(timeout=seconds)
        return False
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        return True


def _kill_while_committing(proc: subprocess.Popen[bytes], db_file: Path) -> bool:
    """SIGKILL proc as soon as its commit starts filling the write-ahead log."""
    wal = Path(f"{db_file}.wal")
    while proc.poll() is None:
        if wal.exists() and wal.stat().st_size > 1_000_000:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            return True
        time.sleep(0.002)
    return False


def _differences(a: Path, b: Path) -> dict[str, tuple[int, int, int]]:
    """Tables whose rows differ: {table: (rows in a, rows in b, rows not in both)}."""
    con = duckdb.connect()
    try:
        con.execute(f"ATTACH '{a}' AS a (READ_ONLY)")
        con.execute(f"ATTACH '{b}' AS b (READ_ONLY)")
        tables = [
            r[0]
            for r in con.execute(
                "SELECT table_name FROM duckdb_tables() WHERE database_name = 'a'"
            ).fetchall()
        ]
        assert tables and tables == [
            r[0]
            for r in con.execute(
                "SELECT table_name FROM duckdb_tables() WHERE database_name = 'b'"
            ).fetchall()
        ]
        out = {}
        for t in tables:
            cols = "*"
            where = ""
            if t == "ingest_runs":
                # A run killed after its commit was durable is complete: the re-run reads nothing.
                cols, where = f"* EXCLUDE ({TIMING_COLUMNS})", "WHERE lines_read > 0"
            rows = f"SELECT {cols} FROM {{db}}.{t} {where}"
            a_rows, b_rows = (rows.format(db=d) for d in "ab")
            (n_a,), (n_b,) = (con.execute(f"SELECT count(*) FROM ({q})").fetchone()
                              for q in (a_rows, b_rows))  # fmt: skip
            (diff,) = con.execute(
                f"SELECT count(*) FROM (({a_rows} EXCEPT ALL {b_rows}) "
                f"UNION ALL ({b_rows} EXCEPT ALL {a_rows}))"
            ).fetchone()
            if diff or n_a != n_b:
                out[t] = (n_a, n_b, diff)
            elif t in ("events", "contacts", "touches", "rejects", "ingest_runs"):
                assert n_a > 0, f"{t} is empty: the comparison proves nothing"
        return out
    finally:
        con.close()


def test_the_schema_is_made_whole_or_not_at_all(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As if the process died before the last table: the tables made before it are undone.
    broken = db.schema_sql() + "\nCREATE TABLE last_one (x NO_SUCH_TYPE);"
    monkeypatch.setattr(db, "schema_sql", lambda: broken)
    db_file = tmp_path / "r.duckdb"
    with pytest.raises(DatabaseError, match="cannot apply the schema"):
        db.connect(db_file)
    con = duckdb.connect(str(db_file), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM duckdb_tables()").fetchone() == (0,)
    finally:
        con.close()


def test_killed_runs_then_a_rerun_equal_one_clean_run(big_log: Path, tmp_path: Path) -> None:
    clean_db, crash_db = tmp_path / "clean.duckdb", tmp_path / "crash.duckdb"
    done = subprocess.run(_ingest_cmd(big_log, clean_db), capture_output=True, check=False)
    assert done.returncode == 0, done.stderr.decode()

    # Each kill leaves a run part-way; the next process resumes it and is killed in turn. Later
    # kills wait longer until one lands between two batches: on a loaded machine a process
    # may need more than a second for its first commit.
    killed, partial = [], []
    for s in (0.3, 0.7, 1.2, 2.0, 3.0):
        if len(killed) >= 3 and any(partial):
            break
        killed.append(_kill_after(_ingest_process(big_log, crash_db), s))
        partial.append(_open_run_events(crash_db))
    killed.append(_kill_while_committing(_ingest_process(big_log, crash_db), crash_db))
    assert sum(killed) >= 3, f"the ingest finished before it could be killed: {killed}"
    assert any(partial), "no kill landed between two batches: resuming was not tested"

    done = subprocess.run(_ingest_cmd(big_log, crash_db), capture_output=True, check=False)
    assert done.returncode == 0, done.stderr.decode()
    assert _differences(clean_db, crash_db) == {}


def test_killed_run_keeps_earlier_results_and_is_resumed(big_log: Path, tmp_path: Path) -> None:
    db_file = tmp_path / "refscope.duckdb"
    small = f.write_ndjson(tmp_path / "small.ndjson", [f.delivery(f.message(psid="u1"))])
    pipeline.run([str(small)], db_file)
    before = snapshot(Query(db_file))
    proc = _ingest_process(big_log, db_file)
    wal = Path(f"{db_file}.wal")
    while proc.poll() is None and not (wal.exists() and wal.stat().st_size > 0):
        time.sleep(0.002)  # until its first batch commits
    assert _kill_after(proc, 0.05)
    query = Query(db_file)
    after = snapshot(query)
    for table in ("contacts", "touches", "contact_days"):
        assert after[table] == before[table], table  # attributed only when the run finishes
    assert query("SELECT run_id, finished_at IS NULL FROM ingest_runs") == [(1, False), (2, True)]
    assert query("SELECT count(*) FROM events WHERE run_id = 2")[0][0] > 0
    result = pipeline.run([str(big_log)], db_file)
    assert (result.run_id, result.resumed) == (2, True)
    assert query("SELECT run_id, finished_at IS NULL FROM ingest_runs") == [(1, False), (2, False)]
    assert query("SELECT count(*) FROM contacts")[0][0] > 1


def _full_deliveries(n: int) -> list[f.Json]:
    """n POSTs near the receiver's 1 MiB cap: 1,000 messages of 880 characters each."""
    return [
        f.delivery(*(f.message("x" * 880, psid=f"9{k % 500:015d}", ts=f.T0 + k, mid=f"m_{k}")
                     for k in range(i * 1000, (i + 1) * 1000)))
        for i in range(n)
    ]  # fmt: skip


def test_a_batch_of_full_size_deliveries_stays_within_the_memory_share(
    db_path: Path, query: Query, log_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The default share is 600 MB for a batch of 128 MiB; these 26 MB need far less than 150 MB
    # once DuckDB parses a few long lines at a time, not a whole vector of them.
    monkeypatch.setenv("REFSCOPE_INGEST_MEMORY", "150MB")
    log = f.write_ndjson(log_dir / "big.ndjson", _full_deliveries(30))
    assert log.stat().st_size > 26_000_000
    result = pipeline.run([str(log)], db_path)
    assert (result.events_added, result.rejects_added) == (30_000, 0)
    assert query("SELECT count(*), count(DISTINCT psid), min(text_length) FROM events") == [
        (30_000, 500, 880)
    ]


def test_running_out_of_memory_says_so_and_which_setting_to_change(
    db_path: Path, log_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REFSCOPE_INGEST_MEMORY", "64MB")  # the least it takes
    log = f.write_ndjson(log_dir / "big.ndjson", _full_deliveries(30))
    with pytest.raises(DatabaseError) as err:
        pipeline.run([str(log)], db_path)
    # DuckDB's error, not the aborted transaction's that followed it, and what to do about it.
    message = str(err.value)
    assert "Out of Memory" in message and "aborted" not in message
    assert "REFSCOPE_INGEST_MEMORY=64MB; raise it, or lower REFSCOPE_INGEST_BATCH" in message
    assert "SET threads" not in message


def _threads(con: duckdb.DuckDBPyConnection) -> int:
    row = con.execute("SELECT current_setting('threads')").fetchone()
    return int(row[0]) if row else 0


@pytest.mark.parametrize("threads", [3, 1])
def test_attribution_out_of_memory_is_tried_once_more_on_one_thread(
    threads: int, db_path: Path, log_dir: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Attribution that ran out of memory failed the run, though on one thread it would have
    fitted (each thread holds its own share of a join). It is now tried once more on one thread,
    from the run's counts before the failed try; DuckDB's thread count is set back after. On
    one thread from the start, there is nothing to try again: the error stands."""
    monkeypatch.setenv("REFSCOPE_INGEST_BATCH", "64")  # the copy is found in a later batch
    log = f.write_ndjson(log_dir / "mixed.ndjson", [*mixed_log(), mixed_log()[1]])
    clean = pipeline.run([str(log)], tmp_path / "clean.duckdb")
    connect, finish, checkpoint = db.connect, runlog.finish, db.checkpoint
    seen: list[int] = []

    def on_threads(path: Path, **kw: Any) -> duckdb.DuckDBPyConnection:
        con = connect(path, **kw)
        con.execute(f"SET threads = {threads}")
        return con

    def out_of_memory_once(con: duckdb.DuckDBPyConnection, res: pipeline.IngestResult) -> None:
        seen.append(_threads(con))
        if len(seen) == 1:  # after the run's counts were taken down and contacts attributed
            raise duckdb.OutOfMemoryException("Out of Memory Error: could not allocate block")
        finish(con, res)

    def checkpoint_on(con: duckdb.DuckDBPyConnection, done: str) -> None:
        seen.append(_threads(con))
        checkpoint(con, done)

    monkeypatch.setattr(db, "connect", on_threads)
    monkeypatch.setattr(runlog, "finish", out_of_memory_once)
    monkeypatch.setattr(db, "checkpoint", checkpoint_on)
    if threads == 1:
        with pytest.raises(DatabaseError, match="attributing run 1 failed: Out of Memory Error"):
            pipeline.run([str(log)], db_path)
        assert seen == [1]
        return
    result = pipeline.run([str(log)], db_path)
    assert seen == [3, 1, 3]
    fields = ("events_added", "duplicates", "left_out", "new_contacts", "events_by_kind",
              "new_contacts_by_channel", "rejects_by_reason")  # fmt: skip
    assert [getattr(result, k) for k in fields] == [getattr(clean, k) for k in fields]
    assert clean.duplicates == 1 and clean.new_contacts == 3
    assert snapshot(Query(db_path)) == snapshot(Query(tmp_path / "clean.duckdb"))


def test_attribution_failing_otherwise_than_out_of_memory_is_not_tried_again(
    db_path: Path, log_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only running out of memory is tried again on one thread: a query interrupted (a stop)
    or another error of DuckDB's stands, and fails the run at once."""
    log = f.write_ndjson(log_dir / "mixed.ndjson", mixed_log())
    connect, finish = db.connect, runlog.finish
    seen: list[int] = []

    def on_threads(path: Path, **kw: Any) -> duckdb.DuckDBPyConnection:
        con = connect(path, **kw)
        con.execute("SET threads = 3")
        return con

    def interrupted_once(con: duckdb.DuckDBPyConnection, res: pipeline.IngestResult) -> None:
        seen.append(_threads(con))
        if len(seen) == 1:
            raise duckdb.InterruptException("INTERRUPT Error: Interrupted!")
        finish(con, res)

    monkeypatch.setattr(db, "connect", on_threads)
    monkeypatch.setattr(runlog, "finish", interrupted_once)
    with pytest.raises(DatabaseError, match="attributing run 1 failed: INTERRUPT Error"):
        pipeline.run([str(log)], db_path)
    assert seen == [3]


def test_new_contacts_past_two_threads_memory_fit_on_one(
    db_path: Path, log_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At the smallest setting (64MB), 500,000 new contacts overflowed attribution on two
    threads (this machine's) and fit on one: the run now finishes, in one go."""
    monkeypatch.setenv("REFSCOPE_INGEST_MEMORY", "64MB")
    template = f.line(f.delivery(f.message("hi", psid="PSID", mid="MID", ts=f.T0)))
    log = log_dir / "webhooks.ndjson"
    with log.open("w") as fh:
        for i in range(500_000):
            fh.write(template.replace("PSID", f"u{i}").replace("MID", f"m{i}") + "\n")
    result = pipeline.run([str(log)], db_path)
    assert (result.run_id, result.resumed, result.new_contacts) == (1, False, 500_000)
    assert Query(db_path).scalar("SELECT count(*) FROM contacts WHERE channel = 'organic'") == (
        500_000
    )


def test_record_batches_hold_few_long_lines_and_many_short_ones(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(lines, "BATCH_TEXT_BYTES", 100)
    monkeypatch.setattr(lines, "BATCH_ROWS", 4)
    sizes = [10] * 9 + [250] + [40, 40, 40] + [99, 1]
    data = b"".join(b"x" * (n - 1) + b"\n" for n in sizes)
    chunk = sources.Chunk(memoryview(data), 1, len(data), len(sizes))
    table, rejects = lines.lines_table([(0, chunk)])
    batches = table.to_batches()
    lengths = [[len(s) for s in b.column(3).to_pylist()] for b in batches]
    assert lengths == [[10] * 4, [10] * 4, [10], [250], [40, 40], [40], [99, 1]]
    assert table.column("line_no").to_pylist() == list(range(1, len(sizes) + 1))
    assert rejects == []


@pytest.mark.parametrize("block", [1, 2, 3, 7, 64])
def test_lines_are_cut_the_same_whatever_the_newline_scan_block(
    monkeypatch: pytest.MonkeyPatch, block: int
) -> None:
    """Newlines on either side of a scan block's edge, blank lines, and a last line with no
    newline: the same lines for every block size."""
    monkeypatch.setattr(lines, "SCAN_BLOCK", block)
    data = b'{"a":1}\n\n\n{"b":22}\r\nx\n{"last":true}'
    chunk = sources.Chunk(memoryview(data), 5, len(data), 10)
    table, rejects = lines.lines_table([(0, chunk)])
    expected = ['{"a":1}\n', "\n", "\n", '{"b":22}\r\n', "x\n", '{"last":true}']
    assert table.column("raw").to_pylist() == expected
    assert table.column("line_no").to_pylist() == [5, 6, 7, 8, 9, 10]
    assert rejects == []


@pytest.mark.parametrize(
    ("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)], ids=["ctrl-c", "sigterm"]
)
def test_ctrl_c_stops_an_ingest_with_a_message_and_the_rerun_finishes_it(
    big_log: Path, tmp_path: Path, sig: signal.Signals, code: int
) -> None:
    """Stopped by Ctrl-C or SIGTERM (a service manager, `timeout`), the run rolls its batch back
    and exits as a shell reports a stop by that signal (128 + its number: it was 130 for both)."""
    clean_db, stopped_db = tmp_path / "clean.duckdb", tmp_path / "stopped.duckdb"
    done = subprocess.run(_ingest_cmd(big_log, clean_db), capture_output=True, check=False)
    assert done.returncode == 0, done.stderr.decode()
    proc = subprocess.Popen(_ingest_cmd(big_log, stopped_db), cwd=Path(pipeline.__file__)
                            .parent.parent, env={**os.environ, "REFSCOPE_INGEST_BATCH": "4MB"},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
    # Once the database is open (the command, its Ctrl-C handling included, is running).
    while proc.poll() is None and not stopped_db.exists():
        time.sleep(0.01)
    time.sleep(0.3)
    assert proc.poll() is None, "the ingest finished before Ctrl-C"
    proc.send_signal(sig)
    out, err = proc.communicate()
    text = (out + err).decode()
    assert proc.returncode == code, text
    assert "stopped:" in text and "resumes the run" in text
    assert "Traceback" not in text
    done = subprocess.run(_ingest_cmd(big_log, stopped_db), capture_output=True, check=False)
    assert done.returncode == 0, done.stderr.decode()
    assert _differences(clean_db, stopped_db) == {}


@pytest.mark.parametrize(
    "value, rule",
    [("abc", "give a size such as 8MB"), ("-1", "give a size such as 8MB"),
     ("0", "give a size such as 8MB"), ("600", "give at least 64MB"),
     ("1KB", "give at least 64MB")],
)  # fmt: skip
def test_a_memory_setting_that_is_no_size_is_refused_with_the_rule(
    db_path: Path, log_dir: Path, monkeypatch: pytest.MonkeyPatch, value: str, rule: str
) -> None:
    monkeypatch.setenv("REFSCOPE_INGEST_MEMORY", value)
    log = f.write_ndjson(log_dir / "a.ndjson", [f.delivery(f.message(psid="u1"))])
    with pytest.raises(RefscopeError, match=re.escape(f"REFSCOPE_INGEST_MEMORY={value!r}: {rule}")):
        pipeline.run([str(log)], db_path)


def test_many_small_files_share_record_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    """A batch of many small files (a day per file) is parsed in record batches of up to
    BATCH_ROWS lines, not one per file; a chunk of JOIN_BELOW_ROWS lines or more is kept whole
    (not copied)."""
    monkeypatch.setattr(lines, "BATCH_ROWS", 10)
    monkeypatch.setattr(lines, "JOIN_BELOW_ROWS", 5)
    small = b'{"a":1}\n{"b":2}\n'
    big = b'{"c":3}\n' * 6
    chunks = [(i, sources.Chunk(memoryview(small), 1, len(small), 2)) for i in range(12)]
    chunks.insert(6, (99, sources.Chunk(memoryview(big), 7, len(big), 12)))
    table, rejects = lines.lines_table(chunks)
    assert [b.num_rows for b in table.to_batches()] == [10, 2, 6, 10, 2]
    assert table.column("rid").to_pylist() == list(range(30))
    assert table.column("file_id").to_pylist() == (
        [i for i in range(6) for _ in "ab"] + [99] * 6 + [i for i in range(6, 12) for _ in "ab"]
    )
    assert table.column("line_no").to_pylist() == [1, 2] * 6 + list(range(7, 13)) + [1, 2] * 6
    assert table.column("raw").to_pylist()[-1] == '{"b":2}\n'
    assert rejects == []
