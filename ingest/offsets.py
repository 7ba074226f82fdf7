"""How far each input was read: the file offsets a batch records in `ingest_files`, and the
rejects of the lines it reads again, each written in one statement for all of a batch's files
(a statement per file cost seconds for thousands of daily logs)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

from . import arrow_arrays, db, file_marks, sources, spool_marks


@dataclass
class FileProgress:
    """How far one planned file has been read into the current and earlier batches."""

    plan: sources.Plan
    offset: int
    lines_done: int
    recorded: int  # the offset last written to ingest_files
    done: bool = False  # read to its end
    cleared: bool = False  # the rejects of the lines it reads again are deleted
    mark: str | None = None  # its fingerprint at offset, of the bytes read (sources.Chunk)


def file_states(con: duckdb.DuckDBPyConnection) -> dict[str, sources.FileState]:
    """How far each input (a path or a pulled URL) was read by earlier runs."""
    return {
        row[0]: sources.FileState(*row[1:])
        for row in con.execute(
            "SELECT path, size, mtime_ns, head_hash, offset_done, lines_done FROM ingest_files"
        ).fetchall()
    }


def plan_files(
    con: duckdb.DuckDBPyConnection, paths: list[Path], gone: list[str]
) -> list[sources.Plan]:
    """The plans of files with something to read; one gone since it was listed, or of data
    refscope does not read (xz), is said in gone.

    A file whose size or mtime changed but not the bytes read (touched) gets its new ones
    recorded: left as they were, each later run read its fingerprint again."""
    states = file_states(con)
    plans: list[sources.Plan] = []
    touched: list[sources.Touched] = []
    for path in paths:
        try:
            planned = sources.plan(path, states.get(sources.path_key(path)))
        except (sources.ReplacedWhileRead, sources.Unreadable) as exc:
            gone.append(str(exc))
            continue
        if isinstance(planned, sources.Plan):
            plans.append(planned)
        elif planned is not None:
            touched.append(planned)
    if touched:
        tbl = pa.Table.from_arrays(
            [arrow_arrays.texts([t.key for t in touched]),
             arrow_arrays.ints([t.size for t in touched], pa.int64()),
             arrow_arrays.ints([t.mtime_ns for t in touched], pa.int64())],
            names=["path", "size", "mtime_ns"],
        )  # fmt: skip
        with db.transaction(con), db.registered(con, "rs_touched", tbl):
            con.execute(
                """UPDATE ingest_files f SET size = t.size, mtime_ns = t.mtime_ns
                   FROM rs_touched t WHERE f.path = t.path"""
            )
    return plans


def clear_rejects(con: duckdb.DuckDBPyConnection, fps: list[FileProgress]) -> None:
    """Delete the rejects of the lines these files read again, in one statement for all of
    them (one per file cost a scan of `rejects` each: seconds for thousands of daily files)."""
    if not fps:
        return
    tbl = pa.Table.from_arrays(
        [arrow_arrays.texts([fp.plan.key for fp in fps]),
         arrow_arrays.ints([fp.plan.start_line for fp in fps], pa.int64())],
        names=["file", "start_line"],
    )  # fmt: skip
    with db.registered(con, "rs_cleared", tbl):
        con.execute(
            """DELETE FROM rejects r USING rs_cleared c
               WHERE r.file = c.file AND r.line_no > c.start_line"""
        )
    for fp in fps:
        fp.cleared = True


def record(con: duckdb.DuckDBPyConnection, fps: list[FileProgress], run_id: int) -> int:
    """Write how far the files were read, in one statement for all of them. A file read part-way
    is stored with mtime -1, so the next plan sees it changed and, its first bytes matching,
    reads on from the offset; a pulled input so (its fingerprint of the lines read, not of the
    download's end, with the HTTP validator) is asked by the next pull for the bytes after them.
    Returns the bytes read since the files were last recorded."""
    rows = []
    read = 0
    for fp in fps:
        p = fp.plan
        if not fp.done and p.name is not None and not fp.mark:
            continue  # a pulled input none of whose lines was read yet: as it was recorded
        read += fp.offset - fp.recorded
        fp.recorded = fp.offset
        if not fp.done and p.name is not None:
            head = f"{fp.mark} {spool_marks.validator_part(p.fingerprint or '')}".rstrip()
        elif p.fingerprint:
            head = p.fingerprint
        else:
            try:
                if fp.mark is None:  # a .gz by its compressed size, a plain file by its offset
                    at = p.size if p.is_gz else fp.offset
                    head = sources.fingerprint(p.path, at, p.identity)
                else:  # by the bytes read: the file's own are new ones if it was written again
                    # since (copytruncate, `gzip -c > x.gz`), and the next run skipped as many
                    if p.identity is not None:
                        file_marks.check_identity(p.path, p.identity)
                    head = fp.mark
            except sources.ReplacedWhileRead:
                # Rotated or removed since it was read: not recorded, the next run plans the
                # file now there afresh (what was read is kept, its copies deduplicated).
                continue
        rows.append((p.key, p.size, p.mtime_ns if fp.done else -1, head, fp.offset,
                     fp.lines_done))  # fmt: skip
    if not rows:
        return read
    cols = list(zip(*rows, strict=True))
    tbl = pa.Table.from_arrays(
        [arrow_arrays.texts(list(cols[0])), *(arrow_arrays.ints(c, pa.int64()) for c in cols[1:3]),
         arrow_arrays.texts(list(cols[3])), *(arrow_arrays.ints(c, pa.int64()) for c in cols[4:])],
        names=["path", "size", "mtime_ns", "head_hash", "offset_done", "lines_done"],
    )  # fmt: skip
    with db.registered(con, "rs_recorded", tbl):
        con.execute("DELETE FROM ingest_files WHERE path IN (SELECT path FROM rs_recorded)")
        con.execute(
            """INSERT INTO ingest_files
               SELECT path, size, mtime_ns, head_hash, offset_done, lines_done, $run_id
               FROM rs_recorded""",
            {"run_id": run_id},
        )
    return read
