"""A batch's troubled lines: those that yielded no event, or whose items were partly
malformed, each rejected with its reason or mended for a second pass (load.py runs both).

Only these rare lines are looked at in Python, to say exactly what is wrong with each
(reasons.py); every other line stays in DuckDB.
"""

from __future__ import annotations

import duckdb

from . import insight_lines, reasons
from .lines import Reject

# Lines that yielded no event, or whose items were partly malformed: one reject row each.
_TROUBLED_LINES = """
WITH flagged AS (
    SELECT DISTINCT rid FROM rs_stage WHERE problem IS NOT NULL OR entry_gap
), per_line AS (
    SELECT rid,
           count(*) FILTER (WHERE problem IS NULL) AS good,
           coalesce(bool_or(entry_gap), false) AS gap,
           -- Every malformed item of the line, in its order (reasons.items_problem joins them).
           list(CASE WHEN container IN ('send_api', 'click') THEN problem
                WHEN container IN ('sample', 'feed_sample') THEN 'value: ' || problem
                                  ELSE 'entry[' || (ei - 1) || '].'
                                       || replace(container, 'feed', 'changes') || '['
                                       || (ii - 1) || ']: ' || problem END
                ORDER BY ei, ii) FILTER (WHERE problem IS NOT NULL) AS problem
    FROM rs_stage WHERE rid IN (SELECT rid FROM flagged) GROUP BY rid
), eventless AS (
    SELECT rid FROM chunk ANTI JOIN rs_stage USING (rid)
)
-- Blank lines are dropped in Python: a filter on raw here would run over every line.
SELECT c.file_id, c.line_no, c.raw, p.problem, p.good, p.gap
FROM chunk c JOIN per_line p USING (rid)
UNION ALL
SELECT c.file_id, c.line_no, c.raw, NULL, 0, false
FROM chunk c SEMI JOIN eventless USING (rid)
ORDER BY 1, 2
"""


def judge(
    con: duckdb.DuckDBPyConnection,
    rejects: list[Reject],
    insights: insight_lines.Handled,
    wide: frozenset[int],
    repair: bool,
) -> list[tuple[int, int, str, str]]:
    """Add a reject to rejects for each troubled line of the staged table `chunk` (but the ad
    insights lines, stored or rejected already); return the lines worth a repaired second
    pass, as (file_id, line_no, fixed text, text as it came without its line end). wide: the
    files of UTF-16 text (sources.Chunk.utf16); repair: whether this is the first pass."""
    repaired: list[tuple[int, int, str, str]] = []
    for file_id, line_no, raw, problems, good, gap in con.execute(_TROUBLED_LINES).fetchall():
        if (file_id, line_no) in insights:
            continue  # stored, or rejected with its own reason, by insight_lines.load
        # An entry without messaging items (gap) may be broken, beside items good or not.
        broken = reasons.entry_problems(raw) if gap else []
        problem = reasons.items_problem(reasons.in_entry_order([*(problems or []), *broken]))
        if problem is None and not good and reasons.is_blank(raw):
            continue  # a blank line
        if file_id in wide and raw != "\x00" and not raw.strip("\x00\r\n"):
            # A blank line of UTF-16 text read as UTF-8: a zero byte (the previous line
            # end's, or its own newline's) and a newline; a line of the log as any other.
            rejects.append((file_id, line_no, reasons.UTF16, raw.rstrip("\r\n")))
            continue
        if problem is None and gap:
            continue  # one of standby or changes items, or with nothing in it
        mendable = repair and not good and not problem
        fixed = reasons.repair(raw) if mendable else None
        if mendable and raw[:1] == "\x00":
            # A UTF-8 line after a line of UTF-16LE text starts with the zero byte of that
            # line's end `0A 00`: no part of this line.
            fixed = reasons.after_utf16_end(raw)
            if fixed and not _after_utf16(con, rejects, file_id, line_no):
                fixed = None
        if fixed is not None:
            repaired.append((file_id, line_no, fixed, raw.rstrip("\r\n")))
            continue
        if raw == "\x00" and _after_utf16(con, rejects, file_id, line_no):
            continue  # the zero byte of a UTF-16 log's last line end: no line of its own
        reason = reasons.explain_reject(raw, problem, good)
        if not raw.endswith("\n") and reason.startswith("invalid JSON"):
            # Only a file's last line lacks its newline: cut short by a writer still at it.
            reason = f"{reasons.UNFINISHED}: {reason}"
        rejects.append((file_id, line_no, reason, raw.rstrip("\r\n")))
    return repaired


def _after_utf16(
    con: duckdb.DuckDBPyConnection, rejects: list[Reject], file_id: int, line_no: int
) -> bool:
    """Whether the line before line_no was rejected as UTF-16 text (in this batch, else by an
    earlier one). Each line end of UTF-16LE text is two bytes, a newline and a zero: after the
    last one the zero is left, as a last "line" with no newline, which is no line of the log,
    or as the first byte of a UTF-8 line written after it, no part of that line (a stray zero
    byte after UTF-8 text is one, and is judged as any other)."""
    said = [why for f, n, why, _ in rejects if f == file_id and n == line_no - 1]
    if not said:
        rows = con.execute(
            """SELECT r.reason FROM rejects r JOIN rs_files f ON f.path = r.file
               WHERE f.file_id = ? AND r.line_no = ?""",
            [file_id, line_no - 1],
        ).fetchall()
        said = [r[0] for r in rows]
    return said == [reasons.UTF16]


def per_line(rows: list[Reject]) -> list[Reject]:
    """One reject per file and line: the bodies of a document's array that start on one line
    (`[{...}, {...}]`) rejected together, their reasons and texts joined in their order."""
    if len({(f, n) for f, n, _, _ in rows}) == len(rows):
        return rows
    merged: dict[tuple[int, int], Reject] = {}
    for f, n, why, raw in rows:
        had = merged.get((f, n))
        merged[(f, n)] = (f, n, why, raw) if had is None else (
            f, n, f"{had[2]}; {why}", f"{had[3]} {raw}")  # fmt: skip
    return list(merged.values())
