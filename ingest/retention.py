"""How long refscope keeps people's data: prune old rows, forget one person for good.

`forget` records a hash of the stored id in `forgotten`, which every later ingest honours, so
re-reading old logs does not bring the person back.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import duckdb

from .errors import ValidationError
from .privacy import Privacy, forgotten_hash

_AGE = re.compile(r"(\d+)\s*([dwmy])")
_PERSON_TABLES = ("events", "touches", "contacts", "contact_days")


def parse_age(text: str) -> tuple[int, str]:
    """'25m' → (25, 'm'): days, weeks, months or years."""
    m = _AGE.fullmatch(text.strip().lower())
    if not m or int(m.group(1)) == 0:
        raise ValidationError(
            f"invalid age {text!r}: a number and a unit, d (days), w (weeks), m (months) or "
            "y (years), e.g. 25m"
        )
    return int(m.group(1)), m.group(2)


def cutoff(text: str, today: dt.date) -> dt.date:
    n, unit = parse_age(text)
    if unit == "d":
        return today - dt.timedelta(days=n)
    if unit == "w":
        return today - dt.timedelta(weeks=n)
    months = n * (12 if unit == "y" else 1)
    y, m = divmod(today.year * 12 + today.month - 1 - months, 12)
    return dt.date(y, m + 1, min(today.day, 28))


@dataclass(frozen=True)
class Pruned:
    before: dt.date
    events: int
    touches: int
    clicks: int
    contacts: int


def prune(con: duckdb.DuckDBPyConnection, before: dt.date) -> Pruned:
    """Delete events, touches, clicks and contact days before a date, and contacts left empty."""
    counts: dict[str, int] = {}
    con.execute("BEGIN TRANSACTION")
    try:
        for table, col in (("events", "ts"), ("touches", "ts"), ("clicks", "ts"),
                           ("contact_days", "day")):  # fmt: skip
            row = con.execute(f"DELETE FROM {table} WHERE {col} < ?", [before]).fetchone()
            counts[table] = int(row[0]) if row else 0
        row = con.execute(
            """DELETE FROM contacts c WHERE NOT EXISTS (
                   SELECT 1 FROM events e WHERE e.page_id = c.page_id AND e.psid = c.psid)"""
        ).fetchone()
        counts["contacts"] = int(row[0]) if row else 0
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("CHECKPOINT")
    return Pruned(before, counts["events"], counts["touches"], counts["clicks"],
                  counts["contacts"])  # fmt: skip


def forget(
    con: duckdb.DuckDBPyConnection, psid: str, page_id: str | None, privacy: Privacy
) -> dict[str, int]:
    """Remove every row of one person (on one page or all) and remember to leave them out."""
    psid = psid.strip()
    if not psid:
        raise ValidationError("give the PSID (or chat plugin user_ref) to forget")
    stored = privacy.stored_id(psid)
    page_clause = "" if page_id is None else " AND page_id = ?"
    params: list[object] = [stored] + ([page_id] if page_id is not None else [])
    counts: dict[str, int] = {}
    con.execute("BEGIN TRANSACTION")
    try:
        for table in _PERSON_TABLES:
            row = con.execute(f"DELETE FROM {table} WHERE psid = ?{page_clause}", params).fetchone()
            counts[table] = int(row[0]) if row else 0
        # Rejected lines may hold the raw id too: they stay accounted for, without it.
        row = con.execute(
            "UPDATE rejects SET raw = replace(raw, ?, '<forgotten>') WHERE contains(raw, ?)",
            [psid, psid],
        ).fetchone()
        counts["rejects"] = int(row[0]) if row else 0
        con.execute(
            "INSERT INTO forgotten VALUES (?, ?, ?)",
            [forgotten_hash(stored), page_id, dt.datetime.now(dt.UTC).replace(tzinfo=None)],
        )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return counts
