"""Ad insights read from log files: lines holding what the Marketing API's insights edge answers.

A line is either one answer page, `{"data": [<row>, ...], "paging": {...}}` (as saved from the
Graph API Explorer, `curl` or an export job, one page per line), or one row of such a page,
`{"date_start": "2026-11-02", "ad_id": "...", "spend": "12.34", ...}`. Rows land in
`ad_insights` as `refscope pull ads` stores them (insight_rows.insight_row), dated by the file's
modification time: a day and ad already held from a newer pull or file stays as it is.
https://developers.facebook.com/docs/marketing-api/insights
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import duckdb

from . import db, insight_answers, insight_parts, insight_rows, strict_json
from .insight_answers import Answer

# Lines holding one of these keys are looked at here (an empty page has no row, and so no
# date_start); rs_rare (stage.py) copies them out of the batch.
MARKERS = ('"data"', '"date_start"')
_LINES = "SELECT file_id, line_no, raw FROM rs_rare WHERE {} ORDER BY file_id, line_no".format(
    " OR ".join(f"contains(raw, '{m}')" for m in MARKERS)
)

# Newer data wins: a file read again, or an older export, does not undo a later pull.
_REPLACED = """DELETE FROM ad_insights a USING rs_insights n
               WHERE a.date = n.date AND a.ad_id = n.ad_id AND a.pulled_at <= n.pulled_at"""
# Nor does it bring back a day and ad that a later pull of its account left out (revised to no
# delivery: the pull removed it). A row that names no account (a file asked without
# account_id) is of its ad's account, when a stored row names that.
_STORE = """INSERT INTO ad_insights
            SELECT * FROM rs_insights n WHERE NOT EXISTS (
                SELECT 1 FROM ad_insights a WHERE a.date = n.date AND a.ad_id = n.ad_id)
            AND NOT EXISTS (
                SELECT 1 FROM ad_pulls p
                WHERE p.account_id = coalesce(n.account_id, (
                          SELECT any_value(a.account_id) FROM ad_insights a
                          WHERE a.ad_id = n.ad_id AND a.account_id IS NOT NULL))
                  AND n.date BETWEEN p.since AND p.until AND p.pulled_at > n.pulled_at)"""

Handled = set[tuple[int, int]]  # (file_id, line_no) of the insights lines
Rejected = list[tuple[int, int, str, str]]  # (file_id, line_no, reason, raw)


def rows_of(obj: object) -> list[object] | None:
    """The insight rows a parsed line holds, or None when it is no insights line (a webhook
    body, say, which has `entry` or `object`)."""
    if not isinstance(obj, dict) or "entry" in obj or "object" in obj:
        return None
    if isinstance(obj.get("data"), list):
        return list(obj["data"])
    return [obj] if "date_start" in obj else None


def problem(obj: dict[str, object], rows: list[object]) -> str | None:
    """Why the rows of the line obj cannot be stored (the first bad one, by its index in a
    page), or None. A page without rows is rejected too: it holds nothing to store, and every
    line is accounted for by a row somewhere."""
    page = isinstance(obj.get("data"), list)
    if page and not rows:
        return "insights page without rows"
    for i, row in enumerate(rows):
        where = f"data[{i}]: " if page else ""
        if not isinstance(row, dict):
            return f"{where}insights row is not an object"
        # As insight_row finds them missing (not v): an ad id of 0 too, not a stopped run.
        missing = [k for k in ("date_start", "ad_id") if _absent(row.get(k))]
        if missing:
            return f"{where}insights row without {' or '.join(missing)}"
        try:
            dt.date.fromisoformat(str(row["date_start"]))
        except ValueError:
            return f"{where}insights row with date_start that is not a date (YYYY-MM-DD)"
        for k in ("ad_id", *insight_rows.TEXT_FIELDS):  # a number is stored as its digits
            if not isinstance(row.get(k), str | int | None) or isinstance(row.get(k), bool):
                return f"{where}insights row with {k} that is not text"
        for k in ("actions", "cost_per_action_type"):  # lists of {action_type, value}
            if not isinstance(row.get(k), list | None):
                return f"{where}insights row with {k} that is not a list"
        bad = insight_rows.bad_amount(row)
        if bad is not None:
            k, number = bad
            what = "out of range" if number else "that is not a number"
            return f"{where}insights row with {k} {what}"
        # An answer without time_increment=1 (the whole range, or monthly) holds a row per
        # ad of several days: stored as its first day's, their spend lands on one day.
        if row.get("date_stop") not in (None, "", row["date_start"]):
            return (f"{where}insights row for more than one day (date_stop is not date_start; "
                    "ask with time_increment=1)")  # fmt: skip
    return None


def _other_currency(obj: dict[str, object], rows: list[object], held: str, of: str) -> str | None:
    """Why rows cannot be stored beside spend in the currency held (of account `of`): the first
    row in another one, by its index in a page. None when they can. With none held, the first
    row that says one sets it for the rows after it: a page of two currencies is no sum."""
    page = isinstance(obj.get("data"), list)
    for i, row in enumerate(rows):
        if not isinstance(row, dict) or row.get("account_currency") in (None, ""):
            continue
        said = row["account_currency"]
        if not held:
            held, of = str(said), str(row.get("account_id") or "?").removeprefix("act_")
        elif said != held:
            where = f"data[{i}]: " if page else ""
            return f"{where}insights row in {said}: this database holds ad spend in {held} " \
                   f"(account {of})"  # fmt: skip
    return None


def _part_key(row: dict[str, Any]) -> tuple[Any, ...]:
    """(day, ad id, breakdown values) of a row problem() found none wrong with."""
    day = dt.date.fromisoformat(str(row["date_start"]))
    return (day, str(row["ad_id"]), *insight_parts.breakdown(row))


def _absent(v: object) -> bool:
    """Whether a row's date_start or ad_id is not there: none, empty, or the number 0."""
    return v is None or v == "" or (type(v) is int and v == 0)


def load(
    con: duckdb.DuckDBPyConnection, pulled_at: Mapping[int, dt.datetime]
) -> tuple[int, int, Handled, Rejected]:
    """Store the insights lines of the batch's rs_rare; pulled_at gives each file's instant
    (default: now).

    Returns the rows stored, the rows not stored (a newer or as new row of the day and ad is
    held, or read later in the batch), the lines handled here (the stage has no event for them;
    they are not rejects) and, among those, the lines rejected whole, with why.
    """
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    handled: Handled = set()
    rejected: Rejected = []
    # Each day and ad's parts (rows broken down by platform, age...: insight_parts), one answer
    # per file and breakdowns, in the order first read: a part met again in a file (a later
    # answer of the day in it) takes the place of the one before it.
    answers: dict[tuple[Any, Any], dict[tuple[int, tuple[str, ...]], Answer]] = {}
    found_rows = 0
    # Spend is added up across accounts: one currency (the stored spend's, else the first said).
    currency, of = insight_rows.held_currency(con)
    for file_id, line_no, raw in con.execute(_LINES).fetchall():
        try:
            obj = strict_json.loads(raw, constants=True)  # as DuckDB reads the other lines
        except (ValueError, RecursionError):
            continue  # not JSON (or nested too deep): rejected as such with the other lines
        found = rows_of(obj)
        if found is None:
            continue
        handled.add((file_id, line_no))
        why = problem(obj, found) or _other_currency(obj, found, currency, of)
        if why is not None:
            rejected.append((file_id, line_no, why, raw.rstrip("\r\n")))
            continue
        at = pulled_at.get(file_id, now)
        line: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
        for r in found:
            if isinstance(r, dict):
                line.setdefault(_part_key(r), []).append(r)
        found_rows += len(found)
        for key, same in line.items():
            # One answer holds a day and ad once but for its breakdowns: rows of the same day,
            # ad and breakdown values in one line that differ in a label are parts of a
            # breakdown not known here, added up; rows alike but for their figures, repeats.
            labelled = {insight_parts.labels(r): r for r in same}
            by = tuple(k for k, _ in key[2:])
            answer = answers.setdefault(key[:2], {}).setdefault((file_id, by), Answer(by, at))
            answer.parts.pop(key, None)  # read again: in the order of the last reading
            answer.parts[key] = (at, insight_parts.whole(list(labelled.values())),
                                 len(labelled), True)  # fmt: skip
        said = next((r["account_currency"] for r in found if isinstance(r, dict)
                     and r.get("account_currency") not in (None, "")), None)  # fmt: skip
        if not currency and said is not None:
            currency = str(said)
            of = next(str(r.get("account_id") or "?").removeprefix("act_") for r in found
                      if isinstance(r, dict) and r.get("account_currency") == said)  # fmt: skip
    # Each day and ad's answers after the one stored (insight_answers), older files first: the
    # parts held then, added up, are its row, when this batch read any of them.
    stored_answers = insight_answers.held(con, set(answers))
    last: dict[tuple[Any, Any], list[Any]] = {}
    kept: dict[tuple[Any, Any], Answer] = {}
    summed = 0  # rows read that a row to store adds up, beside the one it counts as
    for day, read in answers.items():
        ordered = sorted(read.values(), key=lambda a: a.at)  # stable: in reading order
        answer = stored_answers.get(day) or ordered.pop(0)
        for then in ordered:
            answer = answer.then(then)
        if not any(new for _, _, _, new in answer.parts.values()):
            continue  # nothing of this batch's is newer than what is held
        summed += sum(n for _, _, n, new in answer.parts.values() if new) - 1
        rows = [r for _, r, _, _ in answer.parts.values() if r is not None]
        last[day] = insight_rows.insight_row(insight_parts.whole(rows), answer.at)
        kept[day] = answer
    if not last:  # nothing newer than what is held: every row read is not stored
        return 0, found_rows - summed, handled, rejected
    with db.registered(con, "rs_insights", insight_rows.insights_table(list(last.values()))):
        con.execute(_REPLACED)
        row = con.execute(_STORE).fetchone()
    insight_answers.save(con, kept)
    stored = int(row[0]) if row else 0
    # Parts added up into a row are in it: the others were not stored.
    return stored, found_rows - summed - stored, handled, rejected
