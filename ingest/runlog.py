"""A run's row in `ingest_runs`: started, resumed after a kill, counted per batch, finished.

A run commits batch by batch, each with the file offsets it reached and the run's counters so
far, and finishes with its attribution. A run that was killed has no finished_at: the next
ingest resumes it under the same run id, so the end result is that of one uninterrupted run.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol, TypeVar

import duckdb

# The counters a batch adds to, as columns of ingest_runs and fields of the result.
_COUNTS = {
    "lines_read": "lines",
    "events_parsed": "events_parsed",
    "events_added": "events_added",
    "rejects_added": "rejects_added",
    "bytes_read": "bytes_read",
    "events_left_out": "left_out",
    "insights_added": "insights_added",
    "insights_not_newer": "insights_not_newer",
    "clicks_read": "clicks_read",
    "rejects_left_out": "rejects_left_out",
}


class Counts(Protocol):
    run_id: int
    files_read: int
    bytes_read: int
    lines: int
    events_parsed: int
    events_added: int
    rejects_added: int
    left_out: int
    insights_added: int
    insights_not_newer: int
    clicks_read: int
    rejects_left_out: int
    new_contacts: int
    seconds: float
    earlier_seconds: float
    resumed: bool
    started: bool

    @property
    def duplicates(self) -> int: ...


C = TypeVar("C", bound=Counts)


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def last_run_id(con: duckdb.DuckDBPyConnection) -> int:
    row = con.execute("SELECT coalesce(max(run_id), 0) FROM ingest_runs").fetchone()
    return int(row[0]) if row else 0


def start(con: duckdb.DuckDBPyConnection, run_id: int) -> None:
    con.execute("INSERT INTO ingest_runs (run_id, started_at) VALUES (?, ?)", [run_id, _now()])


def unfinished(con: duckdb.DuckDBPyConnection) -> int | None:
    """The first run killed before it finished (the next ingest, or pull, resumes it), or None."""
    row = con.execute("SELECT min(run_id) FROM ingest_runs WHERE finished_at IS NULL").fetchone()
    return None if row is None or row[0] is None else int(row[0])


def resume(con: duckdb.DuckDBPyConnection, make: type[C]) -> C | None:
    """The counts of an unfinished (killed) run, to carry on with; None when there is none."""
    cols = ", ".join(_COUNTS)
    row = con.execute(
        f"""SELECT run_id, coalesce(seconds, 0), {cols} FROM ingest_runs
            WHERE finished_at IS NULL ORDER BY run_id DESC LIMIT 1"""
    ).fetchone()
    if row is None:
        return None
    res = make(run_id=int(row[0]))  # type: ignore[call-arg]
    res.earlier_seconds = float(row[1])  # the killed processes' time, to their last commit
    for field, value in zip(_COUNTS.values(), row[2:], strict=True):
        setattr(res, field, int(value or 0))
    res.resumed = res.started = True
    return res


def save_counts(con: duckdb.DuckDBPyConnection, res: Counts) -> None:
    """Store the counts so far, and the seconds spent on them, in the transaction of the
    batch that reached them: a run resumed after a kill goes on from both."""
    sets = ", ".join(f"{col} = ?" for col in _COUNTS)
    con.execute(
        f"""UPDATE ingest_runs SET {sets}, seconds = ?,
                files_read = (SELECT count(*) FROM ingest_files WHERE run_id = ?)
            WHERE run_id = ?""",
        [*(getattr(res, f) for f in _COUNTS.values()), res.seconds, res.run_id, res.run_id],
    )


def finish(con: duckdb.DuckDBPyConnection, res: Counts) -> None:
    save_counts(con, res)
    con.execute(
        """UPDATE ingest_runs SET finished_at = ?, duplicates = ?, new_contacts = ?
           WHERE run_id = ? RETURNING files_read""",
        [_now(), res.duplicates, res.new_contacts, res.run_id],
    )
    row = con.fetchone()
    res.files_read = int(row[0]) if row else 0
