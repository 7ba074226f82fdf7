"""Which insights parts make a day and ad's stored row, across files and runs (insight_lines.py).

Rows broken down (by platform, age...: insight_parts.py) of one day and ad may come in several
files or runs: an answer's pages saved apart, a large export read in two batches. Parts whose
breakdown values are not held yet join those held (the rest of the same answer); a part whose
values are held already is a new answer of the day (read again, or restated by Meta), which
takes the place of the held one, unless it is older. Parts broken down otherwise (or a row of
the whole day and ad) tell the whole day too: the newer answer wins. `ad_insight_parts` keeps
the parts a stored row adds up, so a later batch can add to them.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

import duckdb

from . import db, insight_rows

Key = tuple[Any, ...]  # (day, ad id, (breakdown, value)...)


@dataclass
class Answer:
    """Parts of one day and ad, broken down alike (by: the breakdowns' names; () a whole row)."""

    by: tuple[str, ...]
    at: dt.datetime
    # key → (instant, the part as one row (None: a stored row of no parts), rows it adds up,
    # whether this batch read it)
    parts: dict[Key, tuple[dt.datetime, dict[str, Any] | None, int, bool]] = field(
        default_factory=dict
    )

    def then(self, new: Answer) -> Answer:
        """What is held once new (parts read later, or of a newer file) comes after self."""
        if new.by != self.by:
            return new if new.at >= self.at else self
        repeated = [self.parts[k][0] for k in new.parts if k in self.parts]
        if repeated:  # a new answer of the day, unless an older one
            return new if max(repeated) <= new.at else self
        return Answer(self.by, max(self.at, new.at), {**self.parts, **new.parts})


def held(con: duckdb.DuckDBPyConnection, days: set[tuple[dt.date, str]]) -> dict[Any, Answer]:
    """The stored answer of each (day, ad id) of days that has a row: its parts when those are
    the row's (as new as it), else the row as one whole part."""
    if not days:
        return {}
    wanted = insight_rows.days_and_ads(days)
    out: dict[Any, Answer] = {}
    with db.registered(con, "rs_wanted", wanted):
        rows = con.execute(
            """SELECT a.date, a.ad_id, a.pulled_at FROM ad_insights a
               JOIN rs_wanted USING (date, ad_id)"""
        ).fetchall()
        parts = con.execute(
            """SELECT p.date, p.ad_id, p.breakdown, p.part, p.pulled_at FROM ad_insight_parts p
               JOIN rs_wanted USING (date, ad_id)"""
        ).fetchall()
    for day, ad, at in rows:
        out[(day, ad)] = Answer((), at, {(day, ad): (at, None, 0, False)})
    mine: dict[Any, list[tuple[Key, dt.datetime, dict[str, Any]]]] = {}
    for day, ad, breakdown, part, at in parts:
        key = (day, ad, *(tuple(x) for x in json.loads(breakdown)))
        mine.setdefault((day, ad), []).append((key, at, json.loads(part)))
    for k, found in mine.items():
        row = out.get(k)
        if row is None or max(at for _, at, _ in found) != row.at:
            continue  # not the stored row's parts (a pull replaced it since)
        by = tuple(name for name, _ in found[0][0][2:])
        out[k] = Answer(by, row.at, {key: (at, part, 0, False) for key, at, part in found})
    return out


def save(con: duckdb.DuckDBPyConnection, answers: dict[Any, Answer]) -> None:
    """Keep the parts of each (day, ad id)'s answer (none for a whole row) in place of those
    kept before."""
    if not answers:
        return
    keys = insight_rows.days_and_ads(list(answers))
    rows = [(k[0], k[1], json.dumps([list(x) for x in k[2:]]), json.dumps(part), at)
            for a in answers.values() if a.by
            for k, (at, part, _, _) in a.parts.items()]  # fmt: skip
    with db.registered(con, "rs_answered", keys):
        con.execute("DELETE FROM ad_insight_parts p USING rs_answered k "
                    "WHERE p.date = k.date AND p.ad_id = k.ad_id")  # fmt: skip
    if rows:
        con.executemany("INSERT INTO ad_insight_parts VALUES (?, ?, ?, ?, ?)", rows)
