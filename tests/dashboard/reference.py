"""The dashboard's questions asked again of the raw rows, in plain Python, for the query tests."""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from typing import Any

import duckdb
import pandas as pd
import pytest

from dashboard.filters import Filters

Row = dict[str, Any]


def rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[Row]:
    cur = con.execute(sql)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def contacts(con: duckdb.DuckDBPyConnection) -> list[Row]:
    return rows(con, "SELECT * FROM contacts")


def acquired(cs: list[Row], f: Filters) -> list[Row]:
    return [
        c
        for c in cs
        if f.start <= c["first_seen_at"].date() <= f.end
        and (not f.pages or c["page_id"] in f.pages)
        and (not f.channels or c["channel"] in f.channels)
    ]


def message_days(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], set[dt.date]]:
    days: dict[tuple[str, str], set[dt.date]] = defaultdict(set)
    for r in rows(con, "SELECT page_id, psid, day FROM contact_days"):
        days[r["page_id"], r["psid"]].add(r["day"])
    return days


def came_back(c: Row, days: dict[tuple[str, str], set[dt.date]], within: int) -> bool:
    first = c["first_seen_at"].date()
    return any(0 < (d - first).days <= within for d in days[c["page_id"], c["psid"]])


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """The 95% Wilson score interval, straight from the textbook formula."""
    p = k / n
    centre = p + z * z / (2 * n)
    margin = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return (centre - margin) / (1 + z * z / n), (centre + margin) / (1 + z * z / n)


def day_of(value: Any) -> dt.date:
    return pd.Timestamp(value).date()


def nan_or(value: float | None) -> Any:
    return pytest.approx(value) if value is not None else None


def num(value: Any) -> float | None:
    return None if pd.isna(value) else float(value)


def num_or_text(value: Any) -> Any:
    return None if pd.isna(value) else value
