"""A new database read again from the raw logs, under today's rules (`refscope rebuild`).

Rows an earlier version stored keep that version's rules: its event keys, its channels (the
CHANGELOG's "Changed" lists each change). The raw logs are the source of truth, so a rebuild
reads them again into a new file, and carries over what no log holds: pages, tracked links,
forgotten people, prunes and the history they kept, the id scheme and pulled ad insights. The
old file is left as it is. Every input the old database read must be read again, or the
rebuild is refused: a log deleted, moved or rotated since would lose its events.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

from . import arrow_arrays, db, history, memory_share, pipeline, rewrite, sources
from .errors import DatabaseError
from .privacy import Privacy
from .rebuild_inputs import Inputs as Inputs  # the files a rebuild reads
from .rebuild_inputs import inputs as inputs
from .rebuild_inputs import same

# What no log holds: set by commands (pages, links, forget, prune, pull ads) or kept by a prune;
# database_id, the owner its lake's manifest names (lake_owner.py).
CARRIED = ("pages", "tracked_links", "forgotten", "id_scheme", "prunes", "contact_history",
           "ad_insights", "ad_insight_parts", "ad_pulls", "database_id")  # fmt: skip
# Events a prune kept, dated before it (touches that may still acquire a contact, history.py):
# an ingest leaves out events dated before the latest prune, so the logs cannot give them back.
# They are carried under run 0, no run of the new file's.
KEPT = "ts < (SELECT max(CAST(before AS TIMESTAMP)) FROM prunes)"  # the prunes just carried
OLD = "rs_old"  # the old database, attached to the new one while its rows are carried
# The lines of inputs last read by a run that started before the latest prune: the prune
# deleted their rejects (retention.prune), which the logs read again would bring back.
PRUNED_REJECTS = """
SELECT f.path, f.lines_done FROM ingest_files f JOIN ingest_runs r USING (run_id)
WHERE r.started_at < (SELECT max(CAST(before AS TIMESTAMP)) FROM prunes)
"""
# Of an input read on after the latest prune's date (a log that kept growing), the lines its
# earlier runs read: the prune deleted their rejects too, but its last run is newer, so
# PRUNED_REJECTS does not name it. Each line (old_file, line_no) rejected again: one the old
# database read and holds no reject or click for, and whose events, if it holds any, a run
# started before the prune stored (or the prune kept: run 0).
PRUNED_LINES = """
SELECT c.new_file, c.line_no FROM rs_rejected c
JOIN ingest_files f ON f.path = c.old_file AND c.line_no <= f.lines_done
WHERE NOT EXISTS (SELECT 1 FROM rejects r WHERE r.file = c.old_file AND r.line_no = c.line_no)
  AND NOT EXISTS (SELECT 1 FROM clicks k WHERE k.file = c.old_file AND k.line_no = c.line_no)
  AND coalesce((
      SELECT bool_or(coalesce(r.started_at < (SELECT max(CAST(before AS TIMESTAMP)) FROM prunes),
                              true))
      FROM events e LEFT JOIN ingest_runs r USING (run_id)
      WHERE e.file = c.old_file AND e.line_no = c.line_no), true)
"""
COUNTED = ("events", "touches", "contacts", "clicks", "rejects")
# What the commands that write CARRIED tables record there, beside what else they change. The
# old file is locked only while the rebuild reads it, not while it reads the logs: what such a
# command commits after the carry is not in the new file, so the rebuild fails then (_unchanged).
# A forget and a prune add a row (retention.forget, history.keep) and remove a person's rows, or
# events, rejects and history before a date, which the logs would give back. Registering links
# adds rows (never changed after), naming a page changes its row; both relabel the events,
# contacts and history of m.me links and QR codes (links.relabel), prune's kept ones too. A pull
# adds an ad_pulls row for the ad_insights it stores. An ingest changes none of these (it writes
# ad_insights and ad_insight_parts from an export it reads, id_scheme while it holds no ids): the
# next one, into the new file, reads on from the offsets it recorded. database_id, which the
# first `ingest --lake` makes, is carried at the end instead (_owner). Columns every version has.
WATCHED = {
    "forgotten": ("id_hash, page_id, forgotten_at", "`refscope forget` ran",
                  "the people it forgot would come back from the logs"),
    "prunes": ("before, pruned_at", "`refscope prune` ran",
               "the rows it removed would come back from the logs"),
    "tracked_links": ("page, ref, created_at", "tracked links were registered",
                      "by `refscope links create`, `links import` or the dashboard's Create "
                      "links page: the new file would lack them, and label their contacts "
                      "without them"),
    "pages": ("page_id, username, name", "pages were named or renamed",
              "by `refscope pages set`, `links import` or the dashboard: the new file would "
              "lack their usernames and names, and links made by username would find no "
              "contacts"),
    "ad_pulls": ("account_id, since, until, pulled_at", "ad insights were pulled",
                 "by `refscope pull ads`: the new file would lack the spend they stored"),
}  # fmt: skip


@dataclass
class Rebuilt:
    result: pipeline.IngestResult
    carried: dict[str, int]  # rows of each CARRIED table
    before: dict[str, int]  # rows of each COUNTED table, in the old database
    after: dict[str, int]  # and in the new one
    keep_text: bool


def counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    return {t: int((con.execute(f"SELECT count(*) FROM {t}").fetchone() or (0,))[0])
            for t in COUNTED}  # fmt: skip


def stored_text(con: duckdb.DuckDBPyConnection) -> bool:
    row = con.execute("SELECT EXISTS (SELECT 1 FROM events WHERE text IS NOT NULL)").fetchone()
    return bool(row and row[0])


def watched(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[int, int]]:
    """Each WATCHED table's rows in con's database, counted and hashed: what a command other
    than an ingest committed since would change."""
    out = {}
    for table, (cols, _, _) in WATCHED.items():
        ((n, h),) = con.execute(f"SELECT count(*), coalesce(bit_xor(hash({cols})), 0) "
                                f"FROM {table}").fetchall()  # fmt: skip
        out[table] = (int(n), int(h))
    return out


def _unchanged(
    old_file: Path, out: Path, noted: dict[str, tuple[int, int]]
) -> duckdb.DuckDBPyConnection:
    """The old database opened again, its file locked (no other process commits until it is
    closed), once no WATCHED table changed there since noted (as the rebuild carried it): else
    the rebuild fails, saying what changed, and is run again to carry it."""
    old = memory_share.connect_limited(old_file, read_only=True)
    try:
        now = watched(old)
    except BaseException:
        old.close()
        raise
    ran = [WATCHED[t][1:] for t in WATCHED if now[t] != noted[t]]
    if ran:
        old.close()
        raise DatabaseError(
            f"{' and '.join(what for what, _ in ran)} on {old_file} during the rebuild, after it "
            f"read what it carries over: {out} is not written ({'; '.join(why for _, why in ran)})"
            "; run the rebuild again"
        )
    return old


def _owner(old: duckdb.DuckDBPyConnection, work: Path) -> None:
    """The id the old database was given after the carry found none (its first `ingest --lake`,
    which no rebuild fails for), into the new file: the lake's manifest names it, and a sync
    from a new file without it was refused as another database's (lake_owner.claim)."""
    rows = old.execute("SELECT id, made_at FROM database_id").fetchall()
    if rows:
        new = memory_share.connect_limited(work)
        try:
            new.executemany("INSERT INTO database_id VALUES (?, ?)", rows)
        finally:
            new.close()


def check_out(old: Path, out: Path, *, work: bool = True) -> None:
    """Refuse a target that is the old database or any file already there: nothing is
    overwritten. Nor a name DuckDB would open as another's (db.check_name). A link counts as
    there although its file is not (a disk not mounted): the new file would replace it."""
    db.check_name(out)
    if same(out) == same(old):
        raise DatabaseError(f"{out}: that is the database to rebuild; --out names a new file")
    if same(out) == same(db.wal(old)):
        # DuckDB deletes a write-ahead log that is not its database's at the next write.
        raise DatabaseError(f"{out}: that is the write-ahead log of the database to rebuild; "
                            "--out names a new file")  # fmt: skip
    for f in (out, db.wal(out)):
        if os.path.lexists(f):
            raise DatabaseError(f"{f}: already there; --out names a file that does not exist yet "
                                "(a rebuild overwrites nothing)")  # fmt: skip
    for f in (db.partial(out), db.wal(db.partial(out)), db.partial(db.partial(out))):
        if work and os.path.lexists(f):
            raise DatabaseError(f"{f}: left by a rebuild that did not finish (killed, or still "
                                "running): remove it once no rebuild is running")  # fmt: skip


def _missing_folders(folder: Path) -> list[Path]:
    """The folders of folder's path that do not exist yet, deepest first."""
    missing = []
    for d in (folder, *folder.parents):
        if d.exists():
            break
        missing.append(d)
    return missing


def carry(old: duckdb.DuckDBPyConnection, new: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Copy the CARRIED tables' rows into the new database, by the columns both have (an older
    version's table may lack a column added since: it is left to its default), and the events
    prunes kept (KEPT). The rows go from file to file inside DuckDB, old's file attached to new
    read-only: the copy is held to new's memory limit and spills past it, where a table pulled
    into Python whole grew the process by its size."""
    ((path,),) = old.execute("SELECT path FROM duckdb_databases() "
                             "WHERE database_name = current_database()").fetchall()  # fmt: skip
    ((name,),) = new.execute("SELECT current_database()").fetchall()
    alias = OLD if name != OLD else OLD + "_"
    new.execute(f"ATTACH '{str(path).replace(chr(39), chr(39) * 2)}' AS {alias} (READ_ONLY)")
    try:
        carried = {}
        with db.transaction(new):
            for table in CARRIED:
                carried[table] = _copy(new, alias, table)
            new.execute(history.FILL_SOURCE)  # a last touch an older prune kept without its source
            kept = _copy(new, alias, "events", KEPT)
            if kept:
                carried["events kept by a prune"] = kept
                # As the old database stored them: made right here, as its next writer would have.
                db.migrate(new)  # comment_tables' among them, over these events
    except BaseException:
        with contextlib.suppress(duckdb.Error):
            new.execute(f"DETACH {alias}")
        raise
    new.execute(f"DETACH {alias}")
    return carried


def _copy(new: duckdb.DuckDBPyConnection, alias: str, table: str, where: str = "true") -> int:
    """Insert into new's table the rows of the attached old database's (alias) that where keeps,
    under run 0; a table the old file lacks (an older version's, seen empty) gives none."""
    have = [c for (c,) in new.execute(
        "SELECT column_name FROM duckdb_columns() WHERE database_name = ? AND schema_name = 'main' "
        "AND table_name = ? ORDER BY column_index", [alias, table]).fetchall()]  # fmt: skip
    want = {d[0] for d in new.execute(f"SELECT * FROM {table} LIMIT 0").description}
    cols = [f'"{c}"' for c in have if c in want and c != "run_id"]
    if not cols:
        return 0
    run = ", run_id" if "run_id" in want else ""
    ((n,),) = new.execute(f"INSERT INTO {table} ({', '.join(cols)}{run}) SELECT {', '.join(cols)}"
                          f"{', 0' if run else ''} FROM {alias}.main.{table} WHERE {where}"
                          ).fetchall()  # fmt: skip
    return int(n)


def rebuild(
    old_file: Path,
    out: Path,
    files: list[Path],
    keep_text: bool | None = None,
    *,
    on_plan: Callable[[int], None] | None = None,
    progress: pipeline.ProgressFn | None = None,
    covered: Mapping[str, Path] | None = None,
    on_spilled: pipeline.SpilledFn | None = None,
) -> Rebuilt:
    """Read files into the new database out, with the old one's CARRIED rows; out is removed
    again if anything fails, so a rebuild is done whole or not at all. covered names the file
    read for an input of the old database that is not read under its own name. The folders it
    created for out go too. on_spilled is told at once of a killed rebuild's temporary files
    that the ingest removed (pipeline.run): a caller says it if the rebuild fails."""
    check_out(old_file, out)
    made = _missing_folders(out.parent)  # db.connect creates them
    try:
        # Everyone's data again: the new files are no more readable than the database.
        with rewrite.no_wider_than(old_file):
            return _write(old_file, out, files, keep_text, on_plan, progress, dict(covered or {}),
                          on_spilled)  # fmt: skip
    except BaseException:
        for d in made:  # deepest first; one that holds something else now stays
            with contextlib.suppress(OSError):
                d.rmdir()
        raise


def _drop_pruned_lines(
    old_file: Path, new: duckdb.DuckDBPyConnection, held: dict[str, Path]
) -> None:
    """Delete from the new database the rejects of lines whose rejects a prune deleted in the
    old one, in inputs read on after its date (PRUNED_LINES)."""
    rejected = new.execute("SELECT DISTINCT file, line_no FROM rejects").fetchall()
    if not rejected:
        return
    old = memory_share.connect_limited(old_file, read_only=True)
    try:
        if not old.execute("SELECT count(*) FROM prunes").fetchall()[0][0]:
            return
        keys = [k for (k,) in old.execute("SELECT path FROM ingest_files").fetchall()]
        read_as = {sources.path_key(held.get(k, Path(k))): k for k in keys}
        rows = [(read_as[f], f, n) for f, n in rejected if f in read_as]
        if not rows:
            return
        olds, news, lines = zip(*rows, strict=True)
        table = pa.Table.from_arrays([arrow_arrays.texts(olds), arrow_arrays.texts(news),
                                      arrow_arrays.ints(lines, pa.int64())],
                                     names=["old_file", "new_file", "line_no"])  # fmt: skip
        with db.registered(old, "rs_rejected", table):
            gone = old.execute(PRUNED_LINES).fetchall()
    finally:
        old.close()
    if gone:
        new.executemany("DELETE FROM rejects WHERE file = ? AND line_no = ?", gone)


def _write(
    old_file: Path,
    out: Path,
    files: list[Path],
    keep_text: bool | None,
    on_plan: Callable[[int], None] | None,
    progress: pipeline.ProgressFn | None,
    held: dict[str, Path],
    on_spilled: pipeline.SpilledFn | None,
) -> Rebuilt:
    work = db.partial(out)  # a rebuild killed part-way leaves this one
    old = memory_share.connect_limited(old_file, read_only=True)
    try:
        before = counts(old)
        # Texts the old database kept are kept again, unless told otherwise.
        text = keep_text if keep_text is not None else (True if stored_text(old) else None)
        # Ids under the old one's salt, or none: forgotten people are known by that hash only.
        Privacy.from_env(text).check_scheme(old, record=False)
        pruned = [(sources.path_key(held.get(key, Path(key))), lines)
                  for key, lines in old.execute(PRUNED_REJECTS).fetchall()]  # fmt: skip
        # As the carry reads them: no other process writes the file until the carry detaches it.
        noted = watched(old)
        new = memory_share.connect_limited(work)
    except BaseException:
        old.close()
        for f in (work, db.wal(work)):  # check_out found none: made by this connect (a full disk)
            f.unlink(missing_ok=True)
        raise
    try:
        try:
            carried = carry(old, new)
        finally:
            old.close()
        new.close()
        result = pipeline.run([str(f) for f in files], work, on_plan=on_plan, progress=progress,
                              keep_text=text, on_spilled=on_spilled)  # fmt: skip
        new = memory_share.connect_limited(work)
        if pruned:
            new.executemany("DELETE FROM rejects WHERE file = ? AND line_no <= ?", pruned)
        _drop_pruned_lines(old_file, new, held)
        after = counts(new)
        if carried.get("prunes"):
            # The events dated before a prune were stored, then left out at the end of the run,
            # and its rejects deleted above: their bytes stay in the file until it is written
            # anew (rewrite.py; as `prune --rewrite` writes the old one). Closes new.
            rewrite.rewrite(new, work)
        new.close()
        locked = _unchanged(old_file, out, noted)  # and no change until NEW is named
        try:
            if not carried.get("database_id"):
                _owner(locked, work)
            check_out(old_file, out, work=False)  # nothing put there meanwhile
            if db.wal(work).exists():  # closing folds it in, unless the disk refused the room
                db.wal(work).rename(db.wal(out))
            work.rename(out)
        finally:
            locked.close()
    except BaseException:
        new.close()
        for f in (work, db.wal(work)):
            f.unlink(missing_ok=True)
        raise
    return Rebuilt(result, carried, before, after, Privacy.from_env(text).keep_text)
