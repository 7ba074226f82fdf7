"""run(): sources → parse → dedupe → attribute → load, as one transaction.

A run commits all it read, the file offsets and its `ingest_runs` row together, or nothing: a
run killed at any point leaves the database as it was, and the next run does the same work.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from . import attribute, db, lake, load, sources, webhook
from .errors import DatabaseError
from .privacy import Privacy

# DuckDB's share of memory in an ingest. A run is one transaction, and a multi-GB first run
# needs room; REFSCOPE_INGEST_MEMORY overrides it (e.g. "400MB" on a small machine).
INGEST_MEMORY_LIMIT = "2GB"
ProgressFn = Callable[[int], None]  # called with bytes read since the last call


@dataclass
class IngestResult:
    run_id: int
    files: int = 0
    files_read: int = 0
    bytes_read: int = 0
    lines: int = 0
    events_parsed: int = 0
    events_added: int = 0
    rejects_added: int = 0
    new_contacts: int = 0
    seconds: float = 0.0
    events_by_kind: dict[str, int] = field(default_factory=dict)
    new_contacts_by_channel: dict[str, int] = field(default_factory=dict)
    rejects_by_reason: dict[str, int] = field(default_factory=dict)
    lake: lake.SyncResult | None = None

    @property
    def duplicates(self) -> int:
        return self.events_parsed - self.events_added

    @property
    def events_per_second(self) -> float:
        return self.events_parsed / self.seconds if self.seconds > 0 else 0.0


def file_states(con: duckdb.DuckDBPyConnection) -> dict[str, sources.FileState]:
    """How far each input (a path or a pulled URL) was read by earlier runs."""
    return {
        row[0]: sources.FileState(*row[1:])
        for row in con.execute(
            "SELECT path, size, mtime_ns, head_hash, offset_done, lines_done FROM ingest_files"
        ).fetchall()
    }


def plan_files(con: duckdb.DuckDBPyConnection, paths: list[Path]) -> list[sources.Plan]:
    states = file_states(con)
    plans = [sources.plan(p, states.get(str(p))) for p in paths]
    return [p for p in plans if p is not None]


def run(
    paths: list[str],
    db_file: Path | None = None,
    *,
    on_plan: Callable[[int], None] | None = None,
    progress: ProgressFn | None = None,
    keep_text: bool | None = None,
    lake_dir: Path | None = None,
) -> IngestResult:
    """Ingest the logs at paths into the database; see the module docstring for guarantees.

    Message text is kept only with keep_text (default: REFSCOPE_KEEP_TEXT); ids are stored as
    keyed hashes when REFSCOPE_ID_SALT is set.
    """
    started = time.perf_counter()
    privacy = Privacy.from_env(keep_text)
    files = sources.discover(paths)
    path = db.db_path(db_file)
    con = db.connect(path)
    try:
        plans = plan_files(con, files)
        result = _run(con, plans, len(files), started, on_plan, progress, privacy)
        if lake_dir is not None and (result.files_read or lake.is_stale(lake_dir, path)):
            # After the commit: a crash here leaves the lake behind, and the next run catches up.
            result.lake = lake.sync(con, lake_dir)
        return result
    finally:
        con.close()


def run_plans(
    plans: list[sources.Plan], db_file: Path | None = None, *, progress: ProgressFn | None = None
) -> IngestResult:
    """Ingest inputs already planned by the caller (e.g. bytes pulled over HTTP)."""
    started = time.perf_counter()
    con = db.connect(db.db_path(db_file))
    try:
        return _run(con, plans, len(plans), started, None, progress, Privacy.from_env())
    finally:
        con.close()


def _run(
    con: duckdb.DuckDBPyConnection,
    plans: list[sources.Plan],
    n_inputs: int,
    started: float,
    on_plan: Callable[[int], None] | None,
    progress: ProgressFn | None,
    privacy: Privacy,
) -> IngestResult:
    # Bounded: past this DuckDB spills to disk, so a large log does not grow the process.
    con.execute(
        "SET memory_limit = ?", [os.environ.get("REFSCOPE_INGEST_MEMORY", INGEST_MEMORY_LIMIT)]
    )
    con.execute(webhook.MACROS)
    attribute.install_macros(con)
    (run_id,) = con.execute("SELECT coalesce(max(run_id), 0) + 1 FROM ingest_runs").fetchone() or (
        1,
    )
    res = IngestResult(run_id=run_id, files=n_inputs, files_read=len(plans))
    if not plans:
        # Nothing new: no transaction, no run row, the database is left untouched.
        res.run_id -= 1
        res.seconds = time.perf_counter() - started
        return res
    if on_plan:
        on_plan(sum(p.size - (0 if p.is_gz else p.start_offset) for p in plans))
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(
            "INSERT INTO ingest_runs (run_id, started_at) VALUES (?, ?)",
            [run_id, datetime.now(UTC).replace(tzinfo=None)],
        )
        attribute.refresh_qr_refs(con)
        _read_files(con, plans, run_id, res, progress, privacy)
        if res.events_added:
            con.execute(
                """CREATE OR REPLACE TEMP TABLE rs_affected AS
                   SELECT DISTINCT page_id, psid FROM events
                   WHERE run_id = ? AND psid IS NOT NULL""",
                [run_id],
            )
            res.new_contacts = attribute.attribute(con)
            res.new_contacts_by_channel = _by(
                con,
                """SELECT channel, count(*) FROM contacts JOIN rs_new USING (page_id, psid)
                   GROUP BY ALL""",
                [],
            )
            res.events_by_kind = _by(
                con, "SELECT kind, count(*) FROM events WHERE run_id = ? GROUP BY ALL", [run_id]
            )
        res.seconds = time.perf_counter() - started
        con.execute(
            """UPDATE ingest_runs SET finished_at = ?, files_read = ?, bytes_read = ?,
                   lines_read = ?, events_parsed = ?, events_added = ?, duplicates = ?,
                   rejects_added = ?, new_contacts = ?, seconds = ?
               WHERE run_id = ?""",
            [
                datetime.now(UTC).replace(tzinfo=None),
                res.files_read,
                res.bytes_read,
                res.lines,
                res.events_parsed,
                res.events_added,
                res.duplicates,
                res.rejects_added,
                res.new_contacts,
                res.seconds,
                run_id,
            ],
        )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    # Fold the write-ahead log into the file now, not in the next reader's open.
    con.execute("CHECKPOINT")
    return res


def _read_files(
    con: duckdb.DuckDBPyConnection,
    plans: list[sources.Plan],
    run_id: int,
    res: IngestResult,
    progress: ProgressFn | None,
    privacy: Privacy,
) -> None:
    """Read every planned file in batches of about CHUNK_BYTES and record how far each got."""
    con.execute("CREATE OR REPLACE TEMP TABLE rs_files (file_id INTEGER, path VARCHAR)")
    con.executemany("INSERT INTO rs_files VALUES (?, ?)", [[i, p.key] for i, p in
                                                          enumerate(plans)])  # fmt: skip
    reasons: Counter[str] = Counter()
    batch: list[tuple[int, sources.Chunk]] = []
    forgotten = {r[0] for r in con.execute("SELECT id_hash FROM forgotten").fetchall()}

    def flush() -> None:
        if not batch:
            return
        try:
            out = load.load_batch(con, batch, run_id, privacy, forgotten)
        except duckdb.Error as exc:
            files = sorted({str(plans[i].path) for i, _ in batch})
            raise DatabaseError(f"loading {', '.join(files)} failed: {exc}") from exc
        res.lines += out.lines
        res.events_parsed += out.parsed
        res.events_added += out.added
        res.rejects_added += load.insert_rejects(con, run_id, out.rejects)
        reasons.update(_reason_family(r[2]) for r in out.rejects)
        if progress:
            progress(sum(len(c.data) for _, c in batch))
        batch.clear()

    for file_id, p in enumerate(plans):
        file = p.key
        # Lines about to be read again (an unfinished last line, a replaced file) are judged
        # anew: their old rejects go.
        con.execute("DELETE FROM rejects WHERE file = ? AND line_no > ?", [file, p.start_line])
        offset, lines_done = p.start_offset, p.start_line
        for chunk in sources.read_chunks(p):
            batch.append((file_id, chunk))
            offset, lines_done = chunk.end_offset, chunk.lines_done
            if sum(len(c.data) for _, c in batch) >= sources.CHUNK_BYTES:
                flush()
        res.bytes_read += offset - p.start_offset
        head = p.fingerprint or sources.prefix_hash(p.path, p.size if p.is_gz else offset)
        con.execute("DELETE FROM ingest_files WHERE path = ?", [file])
        con.execute(
            "INSERT INTO ingest_files VALUES (?, ?, ?, ?, ?, ?, ?)",
            [file, p.size, p.mtime_ns, head, offset, lines_done, run_id],
        )
    flush()
    res.rejects_by_reason = dict(reasons)


def _reason_family(reason: str) -> str:
    """Group reasons for the summary: 'invalid JSON: Expecting ...' counts as 'invalid JSON'."""
    if reason.startswith("entry[") or reason.startswith("partly rejected"):
        if "]: " not in reason:
            return reason
        # The item's position goes ("entry[0].messaging[1]: "); a partial reject stays apart.
        partly = "partly rejected: " if reason.startswith("partly rejected") else ""
        return partly + reason.rsplit("]: ", 1)[-1]
    return reason.split(":", 1)[0]


def _by(con: duckdb.DuckDBPyConnection, sql: str, params: list[object]) -> dict[str, int]:
    return {str(k): int(v) for k, v in con.execute(sql, params).fetchall()}
