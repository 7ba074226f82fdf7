"""A batch of lines → new rows in `events` and `rejects`, deduplicated on stable keys.

A batch holds whole-line chunks of one or more files (small files share a batch, so a run over
hundreds of daily logs does not pay per file). Lines reach DuckDB as an Arrow string column
built straight on the bytes (lines.py), DuckDB parses them (stage.py), and only the rare
rejected line is looked at in Python, to say exactly what is wrong with it (troubled_lines.py).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

import duckdb
import numpy as np
import pyarrow as pa

from . import (
    arrow_arrays,
    attribute,
    click_logs,
    copies,
    db,
    echoes,
    forgotten_sends,
    history,
    insight_lines,
    lines,
    stage,
    troubled_lines,
)
from .lines import Reject
from .privacy import PSEUDONYMISE, Privacy
from .sources import Chunk

# Items of an unknown kind: name them by their key and hash their content for dedupe. Like
# every messaging item, keyed on its own instant only (an entry's `time` is when a retry was
# sent), written as milliseconds: the same item is one event however its timestamp was spelled.
_OTHER_ITEMS = """
UPDATE rs_stage s SET
    detail = coalesce(list_filter(json_keys(o.item),
                      lambda k: k NOT IN ('sender', 'recipient', 'timestamp'))[1], '?'),
    event_key = rs_key([s.page_id, s.psid, 'other', o.own_ms, md5(CASE
        WHEN o.own_ms IS NULL THEN CAST(o.item AS VARCHAR)
        ELSE regexp_replace(CAST(o.item AS VARCHAR), '"timestamp":("[^"]*"|[-+.0-9eE]+)',
                            '"timestamp":' || o.own_ms) END)])
FROM (
    SELECT *, CAST(epoch_ms(rs_ts(json_extract_string(item, '$.timestamp'))) AS VARCHAR) AS own_ms
    FROM (SELECT s.rid, s.ei, s.ii, s.container,
           json_extract(l.raw, CASE
               WHEN s.container = 'sample'
               THEN CASE WHEN (l.raw->'$.body') IS NOT NULL THEN '$.body.value' ELSE '$.value' END
               ELSE CASE WHEN (l.raw->'$.body') IS NOT NULL THEN '$.body' ELSE '$' END
                    || '.entry[' || (s.ei - 1) || '].' || s.container || '[' || (s.ii - 1) || ']'
                    || CASE WHEN s.container = 'changes' THEN '.value' ELSE '' END
           END) AS item
    FROM rs_stage s JOIN chunk l USING (rid)
    WHERE s.kind = 'other' AND s.container NOT IN ('send_api', 'feed', 'feed_sample')
      AND s.problem IS NULL)
) o
WHERE s.rid = o.rid AND s.ei IS NOT DISTINCT FROM o.ei
  AND s.ii IS NOT DISTINCT FROM o.ii AND s.container = o.container
"""

_INSERT_EVENTS = f"""
INSERT INTO events
SELECT s.event_key, s.page_id, s.psid, coalesce(s.is_user_ref, false), s.ts, s.kind, s.detail,
       s.is_standby,
       rs_channel(s.kind, s.detail, s.source, s.ref, s.ad_id, s.comment_id, s.psid,
                  {attribute.IS_QR.format(t="s")}),
       s.ref, s.source, s.ad_id, s.ad_title, s.referer_uri, s.is_guest_user, s.mid,
       CASE WHEN $keep_text THEN s.text END, s.text_length, s.attachment_types,
       s.quick_reply_payload, s.postback_payload, s.app_id, s.watermark_at,
       s.post_id, s.comment_id, s.commenter_id, f.path, s.line_no, $run_id, s.product_id
FROM rs_stage s JOIN rs_files f USING (file_id)
WHERE s.problem IS NULL AND s.kind <> 'click'
  {{older}}
  AND NOT EXISTS (SELECT 1 FROM rs_later l
                  WHERE l.rid = s.rid AND l.ei IS NOT DISTINCT FROM s.ei
                    AND l.ii IS NOT DISTINCT FROM s.ii AND l.container = s.container)
"""


@dataclass
class BatchResult:
    lines: int = 0
    parsed: int = 0  # events found in the batch, before dedupe
    added: int = 0  # events new to the database
    left_out: int = 0  # events of forgotten people, dropped
    rejects_left_out: int = 0  # rejected lines dated before the latest prune, dropped
    insights: int = 0  # ad insights rows stored (insight_lines.py)
    insights_not_newer: int = 0  # ad insights rows not stored: as new or newer ones held
    clicks: int = 0  # click lines read (stored in `clicks` or already there)
    rejects: list[Reject] = field(default_factory=list)


# A forgotten id is left out as a contact (psid) and as a commenter (commenter_id): each is
# matched on its own column only, since a commenter id is never joined to a PSID.
_DROP_FORGOTTEN = """
DELETE FROM events e
WHERE e.run_id = $run_id AND (e.psid IS NOT NULL OR e.commenter_id IS NOT NULL) AND EXISTS (
    SELECT 1 FROM forgotten g
    WHERE g.id_hash IN (sha256(e.psid), sha256(e.commenter_id))
      AND (g.page_id IS NULL OR g.page_id = e.page_id))
"""


def load_batch(
    con: duckdb.DuckDBPyConnection,
    chunks: list[tuple[int, Chunk]],
    run_id: int,
    privacy: Privacy | None = None,
    forgotten: set[str] | None = None,
    older_events: bool = True,
    pulled_at: Mapping[int, dt.datetime] | None = None,
    *,
    cut: dt.datetime | None,
    paths: Mapping[int, click_logs.OnDisk] | None = None,
) -> BatchResult:
    """Parse a batch, add its new events, and say which lines are rejected and why.

    Needs the temp table `rs_files(file_id, path)` for the file ids used in chunks. Events
    that earlier runs hold are left out (unless older_events says there are none); copies
    within the run stay until RUN_COPIES removes them at the end of the run. Ad insights lines
    are stored as of pulled_at[file_id] (default: now). Rejected lines dated before cut (the
    latest prune's, history.prune_cut) are left out. paths (file_id → the file on disk and its
    identity as planned) tell a click log by its first line (click_logs.py); without, by its
    name alone.
    """
    privacy = privacy or Privacy()
    pulled_at = pulled_at or {}
    table, rejects = lines.lines_table(chunks)
    # Lines of the files, not rows: a document's bodies count the lines they cover.
    n = table.num_rows + sum(c.lines - len(c.line_nos) for _, c in chunks if c.line_nos is not None)
    res = BatchResult(lines=n, rejects=rejects)
    sends = bool(forgotten)  # sends by phone number to forgotten people, left out below
    wide = frozenset(file_id for file_id, c in chunks if c.utf16)  # files of UTF-16 text
    paths = paths or {}
    repaired = _load_table(con, table, run_id, res, privacy, older_events, pulled_at, sends, wide,
                           paths)  # fmt: skip
    if repaired:
        # Second and last pass: lines fixed in Python, under their own line numbers.
        again = BatchResult()
        _load_table(con, _repaired_table(repaired), run_id, again, privacy, older_events,
                    pulled_at, sends, wide, paths, False)  # fmt: skip
        res.parsed += again.parsed
        res.added += again.added
        res.insights += again.insights
        res.insights_not_newer += again.insights_not_newer
        res.clicks += again.clicks
        # A fixed line still rejected is kept as it came (its mark, its escapes), as any other.
        came = {(f, n): raw for f, n, _, raw in repaired}
        res.rejects.extend((f, n, why, came.get((f, n), raw)) for f, n, why, raw in again.rejects)
    if forgotten:
        row = con.execute(_DROP_FORGOTTEN, {"run_id": run_id}).fetchone()
        res.left_out = (int(row[0]) if row else 0) + forgotten_sends.left_out(con, run_id)
        res.added -= res.left_out
    # Events and clicks dated before the latest prune (pruned history read again) go before the
    # batch is committed, as a forgotten person's: committed, their bytes would stay in the
    # file that `prune --rewrite` wrote anew, and in the table while the run is unfinished.
    if cut is not None:
        _drop_pruned(con, run_id, cut, res)
    # Lines dated before the latest prune are pruned history read again, as their events.
    # Counted as lines: a line is left out when all of its rejected bodies are.
    if cut is not None:
        kept = [r for r in res.rejects if not history.dated_before(r[3], cut)]
        gone_lines = {(f, n) for f, n, _, _ in res.rejects} - {(f, n) for f, n, _, _ in kept}
        res.rejects, res.rejects_left_out = kept, len(gone_lines)
    # Rejected lines are kept whole, under the same rules as events: no text unless kept,
    # hashed ids when salted, nothing of a forgotten person.
    gone = frozenset(forgotten or ())
    merged = troubled_lines.per_line(res.rejects)
    res.rejects = [(f, n, why, privacy.redact(raw, gone)) for f, n, why, raw in merged]
    return res


def _drop_pruned(
    con: duckdb.DuckDBPyConnection, run_id: int, cut: dt.datetime, res: BatchResult
) -> None:
    """Leave out the batch's events and clicks dated before the latest prune, and the copies of
    those events that any batch of the run holds (a retry dated after the prune's date): the
    earliest copy of an event is the one that stays (copies.py), and it is pruned history.
    Copies are dated within copies.MARGIN of each other: only keys that near the date are kept
    (in memory, for the run)."""
    con.execute(
        "CREATE TEMP TABLE IF NOT EXISTS rs_pruned_keys (run_id INTEGER, event_key UHUGEINT)"
    )
    # An earlier run's keys (`ingest --follow` runs on one connection): its copies are done.
    con.execute("DELETE FROM rs_pruned_keys WHERE run_id <> ?", [run_id])
    con.execute(
        """INSERT INTO rs_pruned_keys SELECT DISTINCT run_id, event_key FROM events
           WHERE run_id = $run_id AND ts >= $lo AND ts < $cut""",
        {"run_id": run_id, "lo": cut - copies.MARGIN, "cut": cut},
    )
    pruned = history.drop_pruned(con, run_id)
    row = con.execute(
        """DELETE FROM events WHERE run_id = $run_id AND ts < $hi AND event_key IN (
               SELECT event_key FROM rs_pruned_keys WHERE run_id = $run_id)""",
        {"run_id": run_id, "hi": cut + copies.MARGIN},
    ).fetchone()
    res.left_out += pruned
    res.added -= pruned + (int(row[0]) if row else 0)  # the later copies: duplicates


def _repaired_table(rows: list[tuple[int, int, str, str]]) -> pa.Table:
    return lines.table_of(np.arange(len(rows), dtype=np.int64), [r[0] for r in rows],
                     [r[1] for r in rows], arrow_arrays.texts([r[2] for r in rows]))  # fmt: skip


def _load_table(
    con: duckdb.DuckDBPyConnection,
    table: pa.Table,
    run_id: int,
    res: BatchResult,
    privacy: Privacy,
    older_events: bool,
    pulled_at: Mapping[int, dt.datetime],
    sends: bool,
    wide: frozenset[int],
    paths: Mapping[int, click_logs.OnDisk],
    repair: bool = True,
) -> list[tuple[int, int, str, str]]:
    """Load one table of lines into `res`; return the lines worth a repaired second pass, as
    (file_id, line_no, fixed text, text as it came without its line end). wide: the files of
    UTF-16 text (sources.Chunk.utf16)."""
    with db.registered(con, "chunk", table):
        con.execute(stage.RARE_LINES)
        rare = con.execute(stage.RARE_FOUND).fetchone() or ()
        found = {m for m, hit in zip(stage.RARE_MARKERS, rare, strict=True) if hit}
        con.execute(stage.stage_sql(found, privacy.keep_text))
        if found.intersection(stage.BROKEN_LISTS_MARKERS):
            con.execute(stage.BROKEN_LISTS)
        con.execute(_OTHER_ITEMS)
        if '"refscope_click"' in found:
            click_logs.insert(con, run_id, paths)
            row = con.execute(
                "SELECT count(*) FROM rs_stage WHERE kind = 'click' AND problem IS NULL"
            ).fetchone()
            res.clicks = int(row[0]) if row else 0
        row = con.execute(
            """SELECT count(*), min(ts), max(ts),
                      count(*) FILTER (WHERE kind = 'message_echo' AND page_guessed)
               FROM rs_stage WHERE problem IS NULL AND kind <> 'click'"""
        ).fetchone()
        n, first, last, guessed_echoes = row or (0, None, None, 0)
        if guessed_echoes:  # turning them changes neither their number nor their instants
            con.execute(echoes.OLD_DIRECTION)
        res.parsed = int(n)
        if privacy.salt is not None:
            con.execute(PSEUDONYMISE, privacy.pads())
        if sends and '"send_api"' in found:
            forgotten_sends.note(con, privacy)
        params: dict[str, object] = {"run_id": run_id, "keep_text": privacy.keep_text}
        insert = _INSERT_EVENTS.replace("{older}", copies.OLDER if older_events else "")
        if older_events:  # with no events, any instants will do
            params |= {
                "lo": (first or copies.EPOCH) - copies.MARGIN,
                "hi": (last or copies.EPOCH) + copies.MARGIN,
            }
        con.execute(copies.LATER_COPIES)
        replaced = 0  # stored copies that an earlier-dated copy of this batch takes the place of
        if older_events and n:
            window = {k: params[k] for k in ("run_id", "lo", "hi")}
            for sql in (copies.LATER_STORED, copies.STANDBY_STORED):
                replaced += int((con.execute(sql, window).fetchone() or (0,))[0])
        row = con.execute(insert, params).fetchone()
        res.added = (int(row[0]) if row else 0) - replaced
        # Echoes an earlier batch of the run filed under a guessed page this batch names.
        res.added -= echoes.turn_stored(con, run_id, privacy)
        insights: insight_lines.Handled = set()
        if found.intersection(insight_lines.MARKERS):
            res.insights, res.insights_not_newer, insights, rejected = insight_lines.load(
                con, pulled_at
            )
            res.rejects.extend(rejected)
        repaired = troubled_lines.judge(con, res.rejects, insights, wide, repair)
    return repaired


def insert_rejects(con: duckdb.DuckDBPyConnection, run_id: int, rows: list[Reject]) -> int:
    """Add reject rows for lines not already recorded (one row per file and line)."""
    if not rows:
        return 0
    tbl = pa.Table.from_arrays(
        [arrow_arrays.ints([r[0] for r in rows], pa.int32()),
         arrow_arrays.ints([r[1] for r in rows], pa.int64()),
         arrow_arrays.texts([r[2] for r in rows]), arrow_arrays.texts([r[3] for r in rows])],
        names=["file_id", "line_no", "reason", "raw"],
    )  # fmt: skip
    with db.registered(con, "rs_new_rejects", tbl):
        row = con.execute(
            """INSERT INTO rejects
               SELECT k, path, line_no, reason, raw, $run_id FROM (
                   SELECT rs_key([f.path, CAST(r.line_no AS VARCHAR)]) AS k, f.path,
                          r.line_no, r.reason, r.raw
                   FROM rs_new_rejects r JOIN rs_files f USING (file_id))
               -- One row per line: a line read again (its old row deleted first when the
               -- file changed) is not recorded twice, even if its text was redacted since.
               WHERE k NOT IN (SELECT reject_key FROM rejects)""",
            {"run_id": run_id},
        ).fetchone()
    return int(row[0]) if row else 0
