"""run(): sources → parse → dedupe → attribute → load, committed batch by batch.

A run commits batch by batch: each batch's events and rejects, the file offsets it reached and
the run's counters, together or not at all. Its attribution (touches, contacts) and the end of
its `ingest_runs` row come last, in one more transaction (run_finish.py). A run killed at any
point is resumed by the next ingest under the same run id (runlog.py), which leaves what one
clean run leaves.
Memory stays bounded by a batch, not by the size of the run.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from pathlib import Path
from typing import Literal

import duckdb
import pyarrow as pa

from . import (
    arrow_arrays,
    attribute,
    click_logs,
    db,
    discovery,
    documents,
    history,
    lake,
    load,
    offsets,
    rekey,
    run_finish,
    runlog,
    sizes,
    sources,
    spills,
    webhook,
)
from .errors import DatabaseError, RefscopeError
from .memory_share import MEMORY_ENV, connect_limited, memory_bytes, memory_limit
from .privacy import Privacy
from .run_result import IngestResult

SHOWN_INPUTS = 3  # the inputs an error names; more are counted
ProgressFn = Callable[[int], None]  # called with bytes read since the last call
SpilledFn = Callable[[spills.Removed], None]
# How far a run has gone, for what a stop leaves: its row committed (with its first batch), or a
# killed run's resumed: the next ingest resumes it; the run committed whole (its attribution and
# the end of its row), or the lake brought in line after it; the lake being brought in line (the
# next sync catches up).
Stage = Literal["run open", "committed", "lake"]
StageFn = Callable[[Stage], None]


def run(
    paths: list[str],
    db_file: Path | None = None,
    *,
    on_plan: Callable[[int], None] | None = None,
    progress: ProgressFn | None = None,
    keep_text: bool | None = None,
    lake_dir: Path | None = None,
    on_spilled: SpilledFn | None = None,
    on_stage: StageFn | None = None,
) -> IngestResult:
    """Ingest the logs at paths into the database; see the module docstring for guarantees.

    Message text is kept only with keep_text (default: REFSCOPE_KEEP_TEXT); ids are stored as
    keyed hashes when REFSCOPE_ID_SALT is set. on_spilled is told at once of a killed
    process's temporary files removed (as the result is): a caller says it if the run fails.
    on_stage is told how far the run has gone (Stage), for what a stop says it leaves.
    """
    started = time.perf_counter()
    privacy = check_settings(keep_text)  # each refused before anything is read
    unread: list[str] = []  # folders none of whose files is read by its name
    files = discovery.discover(paths, unread)
    path = db.db_path(db_file)
    # `refscope ingest data/*` names the database beside the logs: it is no log, and reading it
    # would add its own bytes as rejects on every run (it changes with each).
    own = {path.resolve(), path.resolve().with_name(path.name + ".wal")}
    skipped = [f for f in files if f in own]
    files = [f for f in files if f not in own]
    con, started = _open(path, started)
    try:
        gone: list[str] = []  # listed, then removed before it was planned
        plans = offsets.plan_files(con, files, gone)
        result = _run(con, plans, len(files), started, on_plan, progress, privacy, on_spilled,
                      on_stage)  # fmt: skip
        result.warnings = gone + result.warnings + unread
        result.warnings += [f"{f}: the database itself, not a log: left out" for f in skipped]
        _sync_lake(con, lake_dir, path, result, on_stage)
        return result
    finally:
        con.close()


def run_plans(plans: list[sources.Plan], db_file: Path | None = None, *,
              on_plan: Callable[[int], None] | None = None,
              progress: ProgressFn | None = None,
              lake_dir: Path | None = None,
              on_spilled: SpilledFn | None = None,
              on_stage: StageFn | None = None) -> IngestResult:  # fmt: skip
    """Ingest inputs already planned by the caller (e.g. bytes pulled over HTTP), and bring
    lake_dir in line as `run` does, telling on_stage so too."""
    started = time.perf_counter()
    privacy = check_settings()
    path = db.db_path(db_file)
    con, started = _open(path, started)
    try:
        result = _run(con, plans, len(plans), started, on_plan, progress, privacy, on_spilled,
                      on_stage)  # fmt: skip
        _sync_lake(con, lake_dir, path, result, on_stage)
        return result
    finally:
        con.close()


def _open(path: Path, started: float) -> tuple[duckdb.DuckDBPyConnection, float]:
    """The database opened, and the run's start moved past the opening: a wait for another
    process's lock (said on stderr) is no part of the run's seconds, nor of its events/s."""
    opening = time.perf_counter()
    con = connect_limited(path)  # bounded: past it DuckDB spills, so a large log does not grow
    return con, started + time.perf_counter() - opening


def _sync_lake(
    con: duckdb.DuckDBPyConnection,
    lake_dir: Path | None,
    path: Path,
    result: IngestResult,
    on_stage: StageFn | None = None,
) -> None:
    """After the commit: a crash here leaves the lake behind, and the next run catches up."""
    if lake_dir is not None and (result.files_read or lake.is_stale(lake_dir, path)):
        if on_stage:
            on_stage("lake")
        result.lake = lake.sync(con, lake_dir)
        if on_stage:
            on_stage("committed")


def _run(
    con: duckdb.DuckDBPyConnection,
    plans: list[sources.Plan],
    n_inputs: int,
    started: float,
    on_plan: Callable[[int], None] | None,
    progress: ProgressFn | None,
    privacy: Privacy,
    on_spilled: SpilledFn | None,
    on_stage: StageFn | None = None,
) -> IngestResult:
    con.execute(webhook.MACROS)
    attribute.install_macros(con)
    spilled = spills.remove_left_by_dead(con)  # con holds the lock: a killed process's files
    if spilled and on_spilled:
        on_spilled(spilled)
    res = runlog.resume(con, IngestResult)
    if res is None:
        if not plans:
            # Nothing new: no run row, the database is left untouched; a salt that is not the
            # database's is still refused (a run with new lines would be).
            privacy.check_scheme(con, record=False)
            return IngestResult(run_id=runlog.last_run_id(con), files=n_inputs, spilled=spilled,
                                seconds=time.perf_counter() - started)  # fmt: skip
        # Its row is written with its first batch: a run that fails before leaves no trace.
        res = IngestResult(run_id=runlog.last_run_id(con) + 1)
    elif on_stage:
        on_stage("run open")
    res.spilled = spilled
    with db.transaction(con):
        # Ids stored one way only: refused before anything is read. A new run records the way
        # with its row (_read_files): a stop before leaves no row, as one before this.
        privacy.check_scheme(con, record=res.started)
        rekey.private_replies(con, privacy)  # an earlier version's keys, before any copy
    res.files = n_inputs
    if on_plan:
        on_plan(sum(p.size - (0 if p.is_gz else p.start_offset) for p in plans))
    attribute.refresh_qr_refs(con)
    # Whether earlier runs left events: if not (a first run), no batch checks against them and
    # attribution takes every contact as affected.
    row = con.execute(
        "SELECT EXISTS (SELECT 1 FROM events WHERE run_id <> ?)", [res.run_id]
    ).fetchone()
    older = bool(row and row[0])
    if plans:
        try:
            _read_files(con, plans, res, progress, privacy, older, started, on_stage)
        except RefscopeError as exc:
            if res.started:  # some batches are committed: say what happens to them
                raise type(exc)(
                    f"{exc} (run {res.run_id} stays open with what it loaded so far; "
                    "the next `refscope ingest` resumes it)"
                ) from exc
            raise
    # The run's events are all committed: attribute them, and close the run, in one transaction.
    try:
        run_finish.finish(con, res, older, started)
    except duckdb.Error as exc:
        why = str(exc).splitlines()[0]
        if isinstance(exc, duckdb.OutOfMemoryException):
            why += f": attributing the run needs more than {MEMORY_ENV}={memory_limit()}; raise it"
        raise DatabaseError(
            f"attributing run {res.run_id} failed: {why} (run {res.run_id} stays open with what "
            "it loaded so far; the next `refscope ingest` resumes it)"
        ) from exc
    if on_stage:
        on_stage("committed")
    db.checkpoint(con, f"run {res.run_id}")
    return res


def _read_files(
    con: duckdb.DuckDBPyConnection,
    plans: list[sources.Plan],
    res: IngestResult,
    progress: ProgressFn | None,
    privacy: Privacy,
    older: bool,
    started: float,
    on_stage: StageFn | None,
) -> None:
    """Read every planned file in batches of about batch_bytes(), each committed on its own with
    the file offsets it reached, so memory stays bounded and a killed run resumes."""
    con.execute("CREATE OR REPLACE TEMP TABLE rs_files (file_id INTEGER, path VARCHAR)")
    click_logs.start_run(con)
    # From one Arrow table: executemany runs a statement per file (1.7 s for 10,000 files).
    names = pa.Table.from_arrays(
        [arrow_arrays.ints(range(len(plans)), pa.int32()),
         arrow_arrays.texts([p.key for p in plans])],
        names=["file_id", "path"],
    )  # fmt: skip
    with db.registered(con, "rs_plans", names):
        con.execute("INSERT INTO rs_files SELECT file_id, path FROM rs_plans")
    forgotten = {r[0] for r in con.execute("SELECT id_hash FROM forgotten").fetchall()}
    cut = history.prune_cut(con)  # a prune takes the write lock this run holds: fixed for it
    limit = sizes.batch_bytes()
    batch: list[tuple[int, sources.Chunk]] = []
    files: dict[int, offsets.FileProgress] = {}  # files with something to record at the next commit
    held = 0  # bytes in the batch
    advanced = 0  # bytes on disk read for the batch: the progress bar's steps

    def flush() -> None:
        nonlocal held, advanced
        if not batch and not files:
            return
        with db.transaction(con):
            if not res.started:
                privacy.check_scheme(con)  # the way ids are stored, with the run's first row
                runlog.start(con, res.run_id)
            # Lines about to be read again (an unfinished last line, a replaced file) are
            # judged anew: their old rejects go.
            offsets.clear_rejects(con, [fp for fp in files.values() if not fp.cleared])
            if batch:
                _load(con, plans, batch, res, privacy, forgotten, older, cut)
            res.bytes_read += offsets.record(con, list(files.values()), res.run_id)
            res.seconds = run_finish.elapsed(res, started)
            runlog.save_counts(con, res)
        if not res.started and on_stage:
            on_stage("run open")
        res.started = True  # its row is committed: a later failure leaves the run open
        if progress and advanced:
            progress(advanced)
        batch.clear()
        files.clear()
        held = advanced = 0

    # A batch never holds more than the limit, and is committed before the next chunk is read
    # when that chunk cannot join it: only one batch of lines is in memory at a time.
    for file_id, p in enumerate(plans):
        if held + _next_read(p, p.start_offset, limit) > limit:
            flush()
        fp = offsets.FileProgress(p, p.start_offset, p.start_line, p.start_offset)
        files[file_id] = fp
        disk_at = 0  # of a .gz, the compressed bytes read before the chunk
        try:
            for chunk in documents.read_chunks(p, limit):
                if held + len(chunk.data) > limit:
                    flush()  # a .gz chunk, whose size is known only once read
                batch.append((file_id, chunk))
                held += len(chunk.data)
                # A .gz's bar total is its size on disk: count what was read of that. A file of
                # JSON documents is one chunk of its bodies, each made one line: count the file.
                advanced += (
                    chunk.disk_at - disk_at if p.is_gz
                    else len(chunk.data) if chunk.line_nos is None
                    else chunk.end_offset - p.start_offset
                )  # fmt: skip
                disk_at = chunk.disk_at
                fp.offset, fp.lines_done, fp.mark = chunk.end_offset, chunk.lines_done, chunk.mark
                files[file_id] = fp
                if held + _next_read(p, chunk.end_offset, limit) > limit:
                    flush()
        except sources.ReplacedWhileRead as exc:
            # Left as it was recorded: the next run sees the new file and plans it afresh.
            res.warnings.append(str(exc))
            files.pop(file_id, None)
            continue
        except sources.TruncatedGzip as exc:
            # Read as far as it can be, and recorded so: the next run reads on once it grows.
            res.warnings.append(str(exc))
            fp.done = p.name is None  # a pulled input is recorded once whole
            files[file_id] = fp
            continue
        fp.done = True
        files[file_id] = fp
    flush()


def _next_read(p: sources.Plan, offset: int, limit: int) -> int:
    """At most how many bytes the next chunk of p read from offset holds (0: none left).

    A .gz file's decompressed size is unknown until read: its chunks are checked once read.
    """
    return 0 if p.is_gz else min(limit, max(p.size - offset, 0))


def _load(
    con: duckdb.DuckDBPyConnection,
    plans: list[sources.Plan],
    batch: list[tuple[int, sources.Chunk]],
    res: IngestResult,
    privacy: Privacy,
    forgotten: set[str],
    older: bool,
    cut: dt.datetime | None,
) -> None:
    # A file's ad insights are as of its last change: read again, they replace nothing newer.
    # An input pulled over HTTP has no such time (0): its insights are as of now.
    pulled_at = {i: _utc(plans[i].mtime_ns) for i, _ in batch if plans[i].mtime_ns > 0}
    try:
        # Click logs are known by their first line, read from the files as planned.
        paths = {i: (plans[i].path, plans[i].identity) for i, _ in batch}
        out = load.load_batch(con, batch, res.run_id, privacy, forgotten, older, pulled_at, cut=cut,
                              paths=paths)  # fmt: skip
    except duckdb.Error as exc:
        why = str(exc)
        if isinstance(exc, duckdb.OutOfMemoryException):
            # DuckDB's own advice (threads, insertion order) is not the user's to follow. The
            # size is the failed batch's lines (a batch of small logs is far below the limit).
            held = sizes.size_text(sum(len(chunk.data) for _, chunk in batch))
            why = (f"{why.splitlines()[0]}: a batch of {held} "
                   f"needs more than {MEMORY_ENV}={memory_limit()}; raise it, or lower "
                   f"REFSCOPE_INGEST_BATCH ({MEMORY_ENV}={2 * memory_bytes() // 2**20}MB "
                   "doubles it)")  # fmt: skip
        raise DatabaseError(f"loading {_inputs(plans, batch)} failed: {why}") from exc
    res.lines += out.lines
    res.events_parsed += out.parsed
    res.events_added += out.added
    res.left_out += out.left_out
    res.rejects_left_out += out.rejects_left_out
    res.insights_added += out.insights
    res.insights_not_newer += out.insights_not_newer
    res.clicks_read += out.clicks
    res.rejects_added += load.insert_rejects(con, res.run_id, out.rejects)


def _inputs(plans: list[sources.Plan], batch: list[tuple[int, sources.Chunk]]) -> str:
    """The batch's inputs for an error: each when a few, else how many and the first few (a
    batch of a receiver's small files holds hundreds: their list hid the reason after it)."""
    names = sorted({plans[i].key for i, _ in batch})
    if len(names) <= SHOWN_INPUTS:
        return ", ".join(names)
    first = ", ".join(names[:SHOWN_INPUTS])
    return f"{len(names):,} files ({first} and {len(names) - SHOWN_INPUTS:,} more)"


def _utc(ns: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(ns / 1e9, dt.UTC).replace(tzinfo=None)


def check_settings(keep_text: bool | None = None) -> Privacy:
    """A run's settings from the environment (REFSCOPE_KEEP_TEXT, REFSCOPE_ID_SALT,
    REFSCOPE_INGEST_BATCH, REFSCOPE_INGEST_MEMORY), each refused now if it is no value."""
    privacy = Privacy.from_env(keep_text)
    sizes.batch_bytes()
    memory_bytes()
    return privacy
