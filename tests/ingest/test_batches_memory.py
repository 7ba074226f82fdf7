"""An ingest's memory: full-size deliveries within the share, running out of memory said with the
setting to change, attribution tried again on one thread, and memory settings checked."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import duckdb
import pytest

import tests.factories as f
from ingest import db, memory_share, pipeline, runlog
from ingest.errors import DatabaseError, RefscopeError
from tests.conftest import Query
from tests.ingest.logs import full_deliveries, mixed_log, snapshot


def test_a_batch_of_full_size_deliveries_stays_within_the_memory_share(
    db_path: Path, query: Query, log_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The default share is 600 MB for a batch of 128 MiB; these 26 MB need far less than 150 MB
    # once DuckDB parses a few long lines at a time, not a whole vector of them.
    monkeypatch.setenv("REFSCOPE_INGEST_MEMORY", "150MB")
    log = f.write_ndjson(log_dir / "big.ndjson", full_deliveries(30))
    assert log.stat().st_size > 26_000_000
    result = pipeline.run([str(log)], db_path)
    assert (result.events_added, result.rejects_added) == (30_000, 0)
    assert query("SELECT count(*), count(DISTINCT psid), min(text_length) FROM events") == [
        (30_000, 500, 880)
    ]


def test_running_out_of_memory_says_so_and_which_setting_to_change(
    db_path: Path, log_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A batch size given too large for the share is tried as given, and says what to change.
    (The share is below the least accepted, so that a small log runs out of memory.)"""
    monkeypatch.setattr(memory_share, "MIN_MEMORY", 64 * 2**20)
    monkeypatch.setenv("REFSCOPE_INGEST_MEMORY", "64MB")
    monkeypatch.setenv("REFSCOPE_INGEST_BATCH", "128MB")
    log = f.write_ndjson(log_dir / "big.ndjson", full_deliveries(30))
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
    """At a share of 64MB (then the least accepted; below it now, so that a log this small
    overflows), 500,000 new contacts overflowed attribution on two threads (this machine's)
    and fit on one: the run now finishes, in one go."""
    monkeypatch.setattr(memory_share, "MIN_MEMORY", 64 * 2**20)
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


@pytest.mark.parametrize(
    "value, rule",
    [("abc", "give a size such as 8MB"), ("-1", "give a size such as 8MB"),
     ("0", "give a size such as 8MB"), ("600", "give at least 128MB"),
     ("1KB", "give at least 128MB"), ("64MB", "give at least 128MB"),
     ("127MB", "give at least 128MB")],
)  # fmt: skip
def test_a_memory_setting_that_is_no_size_is_refused_with_the_rule(
    db_path: Path, log_dir: Path, monkeypatch: pytest.MonkeyPatch, value: str, rule: str
) -> None:
    monkeypatch.setenv("REFSCOPE_INGEST_MEMORY", value)
    log = f.write_ndjson(log_dir / "a.ndjson", [f.delivery(f.message(psid="u1"))])
    with pytest.raises(RefscopeError, match=re.escape(f"REFSCOPE_INGEST_MEMORY={value!r}: {rule}")):
        pipeline.run([str(log)], db_path)


def test_running_out_of_memory_over_many_files_names_a_few_and_counts_the_rest(
    db_path: Path, log_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A batch of many small logs (a receiver's hourly files) that ran out of memory named
    every one of them on one line, some 130 paths before the setting to change: now how many,
    the first few, and how to raise the limit."""
    monkeypatch.setenv("REFSCOPE_INGEST_MEMORY", "128MB")
    logs = [f.write_ndjson(log_dir / f"webhooks-{i:03}.ndjson",
                           [f.delivery(f.message(psid=f"u{i}", mid=f"m{i}"))])
            for i in range(130)]  # fmt: skip

    def out_of_memory(*args: Any, **kw: Any) -> Any:
        raise duckdb.OutOfMemoryException(
            "Out of Memory Error: could not allocate block of size 256.0 KiB (61.0 MiB/61.0 MiB "
            "used)\nPossible solutions:\n* Reducing the number of threads (SET threads=X)"
        )

    monkeypatch.setattr(pipeline.load, "load_batch", out_of_memory)
    with pytest.raises(DatabaseError) as err:
        pipeline.run([str(log_dir)], db_path)
    message = str(err.value)
    assert len(message.splitlines()) == 1 and len(message) < 800, message
    assert message.startswith(f"loading 130 files ({logs[0]}, {logs[1]}, {logs[2]} and 127 "
                              "more) failed: Out of Memory Error"), message  # fmt: skip
    assert str(logs[3]) not in message and str(logs[-1]) not in message
    assert "REFSCOPE_INGEST_MEMORY=128MB; raise it, or lower REFSCOPE_INGEST_BATCH" in message
    assert "REFSCOPE_INGEST_MEMORY=256MB" in message  # how: twice the share, say
    assert "SET threads" not in message


def test_running_out_of_memory_says_the_size_of_the_batch_that_failed(
    db_path: Path, log_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The error said "a batch of 128 MiB" (the batch size limit) for a batch of 130 tiny logs:
    now the size of the lines the failed batch held, with the setting to change as before."""
    monkeypatch.setenv("REFSCOPE_INGEST_MEMORY", "128MB")
    logs = [f.write_ndjson(log_dir / f"webhooks-{i:03}.ndjson",
                           [f.delivery(f.message(psid=f"u{i}", mid=f"m{i}"))])
            for i in range(130)]  # fmt: skip
    held = sum(log.stat().st_size for log in logs)
    assert 1024 < held < 2**20

    def out_of_memory(*args: Any, **kw: Any) -> Any:
        raise duckdb.OutOfMemoryException("Out of Memory Error: could not allocate block")

    monkeypatch.setattr(pipeline.load, "load_batch", out_of_memory)
    with pytest.raises(DatabaseError) as err:
        pipeline.run([str(log_dir)], db_path)
    message = str(err.value)
    said = (
        f": a batch of {held / 1024:,.1f} KiB needs more than REFSCOPE_INGEST_MEMORY=128MB; "
        "raise it, or lower REFSCOPE_INGEST_BATCH (REFSCOPE_INGEST_MEMORY=256MB doubles it)"
    )
    assert said in message, message
    assert "128 MiB" not in message
