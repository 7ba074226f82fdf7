"""The end of an ingest run: its events attributed (touches, contacts, the comment tables) and
its `ingest_runs` row closed with the run's counts, in one transaction (pipeline.py).
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import fields, replace

import duckdb

from . import attribute, comment_tables, copies, db, history, runlog
from .reasons import family as reason_family
from .run_result import IngestResult


def finish(con: duckdb.DuckDBPyConnection, res: IngestResult, older: bool, started: float) -> None:
    """_finish_once(); when it runs out of memory on several threads, once more on one thread.

    Each thread of a join or an aggregate holds its own share of the state, so one thread fits
    where two did not (at 64MB, 500,000 new contacts overflowed on two threads, not on one).
    The failed attempt rolled back, so it starts again from the run's counts before it."""
    before = replace(res)
    try:
        _finish_once(con, res, older, started)
        return
    except duckdb.OutOfMemoryException:
        row = con.execute("SELECT current_setting('threads')").fetchone()
        threads = int(row[0]) if row else 1
        if threads <= 1:
            raise
    for f in fields(res):
        setattr(res, f.name, getattr(before, f.name))
    con.execute("SET threads = 1")
    try:
        _finish_once(con, res, older, started)
    finally:
        con.execute(f"SET threads = {threads}")


def _finish_once(
    con: duckdb.DuckDBPyConnection, res: IngestResult, older: bool, started: float
) -> None:
    """Attribute the run's events and close its row, in one transaction."""
    with db.transaction(con):
        run_id = res.run_id
        row = con.execute(copies.RUN_COPIES, {"run_id": run_id}).fetchone()
        res.events_added -= int(row[0]) if row else 0
        pruned = history.drop_pruned(con, run_id)
        res.events_added -= pruned
        res.left_out += pruned
        if older:  # a first run rebuilds every contact: no list of the affected ones
            con.execute(
                """CREATE OR REPLACE TEMP TABLE rs_affected AS
                   SELECT DISTINCT page_id, psid FROM events
                   WHERE run_id = ? AND psid IS NOT NULL""",
                [run_id],
            )
        res.new_contacts = attribute.attribute(con, everyone=not older)
        comment_tables.refresh(con, run_id if older else None)
        res.new_contacts_by_channel = _by(
            con,
            "SELECT channel, count(*) FROM contacts JOIN rs_new USING (page_id, psid) GROUP BY ALL",
            [],
        )
        res.channel_changes = _by(con, attribute.CHANNEL_CHANGES, [])
        res.events_by_kind = _by(
            con, "SELECT kind, count(*) FROM events WHERE run_id = ? GROUP BY ALL", [run_id]
        )
        row = con.execute("SELECT count(*) FROM clicks WHERE run_id = ?", [run_id]).fetchone()
        res.clicks_added = int(row[0]) if row else 0
        reasons: Counter[str] = Counter()
        sql = "SELECT reason, count(*) FROM rejects WHERE run_id = ? GROUP BY ALL"
        for reason, n in _by(con, sql, [run_id]).items():
            reasons[reason_family(reason)] += n
        res.rejects_by_reason = dict(reasons)
        res.seconds = elapsed(res, started)
        runlog.finish(con, res)


def elapsed(res: IngestResult, started: float) -> float:
    """The run's seconds so far: this process's, and those a resumed run's killed processes
    spent up to their last commit (its counts carry their lines, so its events/s must too)."""
    return res.earlier_seconds + time.perf_counter() - started


def _by(con: duckdb.DuckDBPyConnection, sql: str, params: list[object]) -> dict[str, int]:
    return {str(k): int(v) for k, v in con.execute(sql, params).fetchall()}
