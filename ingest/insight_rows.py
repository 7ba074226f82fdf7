"""Rows of `ad_insights`: an insights answer's row as stored, whether `refscope pull ads` pulled
it (graph.py) or `refscope ingest` read it from a file (insight_lines.py).
Facts: https://developers.facebook.com/docs/marketing-api/insights
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Collection
from typing import Any

import duckdb
import pyarrow as pa

from . import arrow_arrays, db
from .errors import GraphError

# UNCONFIRMED name (public code, not Meta's reference): kept in `actions` whatever it is.
CONVERSATIONS_STARTED = "onsite_conversion.messaging_conversation_started_7d"


def insight_row(r: dict[str, Any], pulled_at: dt.datetime, account: str = "") -> list[Any]:
    """A row of ad_insights; account_id (without `act_`) falls back to the account asked for
    (default_since finds the last pulled day by it)."""
    missing = [k for k in ("date_start", "ad_id") if not r.get(k)]
    if missing:
        has = ", ".join(sorted(map(str, r))) or "no field"
        raise GraphError(f"Graph API: an insights row without {' or '.join(missing)} (it has "
                         f"{has}): nothing is stored")  # fmt: skip
    try:
        day = dt.date.fromisoformat(str(r["date_start"]))
    except ValueError:
        raise GraphError(f"Graph API: an insights row with date_start {str(r['date_start'])[:40]!r}"
                         ", not a date (YYYY-MM-DD): nothing is stored") from None  # fmt: skip
    if r.get("date_stop") not in (None, "", r["date_start"]):
        # Asked without time_increment=1: its spend is of several days, not of date_start's.
        raise GraphError(f"Graph API: an insights row for more than one day ({day} to "
                         f"{str(r['date_stop'])[:40]}; asked without time_increment=1?): "
                         "nothing is stored")  # fmt: skip
    bad = bad_amount(r)
    if bad is not None:
        # Stored, it was no amount (NULL): spend or a count silently left out of the sums.
        k, number = bad
        v = r[k]
        shown = repr(v[:40]) if isinstance(v, str) else repr(v)[:40]
        what = "out of range" if number else "not a number"
        raise GraphError(f"Graph API: an insights row with {k} {shown}, {what}: "
                         "nothing is stored")  # fmt: skip
    actions = r.get("actions") or []
    # Once per destination when asked with action_breakdowns (action_destination...): their sum.
    counts = [n for a in actions if isinstance(a, dict)
              and a.get("action_type") == CONVERSATIONS_STARTED
              and (n := _num(a.get("value"), int)) is not None]  # fmt: skip
    started = sum(counts) if counts else None
    return [
        day,
        str(r["ad_id"]),
        _text(r.get("ad_name")),
        _text(r.get("adset_id")),
        _text(r.get("adset_name")),
        _text(r.get("campaign_id")),
        _text(r.get("campaign_name")),
        (_text(r.get("account_id")) or account).removeprefix("act_") or None,
        _num(r.get("spend"), float),
        _num(r.get("impressions"), int),
        _num(r.get("clicks"), int),
        started,
        json.dumps(actions),
        json.dumps(r.get("cost_per_action_type") or []),
        pulled_at,
        _text(r.get("account_currency")),
    ]


ACCOUNT = 7  # the index of account_id in a row of insight_row
PULLED_AT = 14  # of pulled_at
CURRENCY = 15  # and of account_currency


# The id and name fields of ad_insights: Meta writes them as strings; a file may hold numbers.
TEXT_FIELDS = ("ad_name", "adset_id", "adset_name", "campaign_id", "campaign_name", "account_id",
               "account_currency")  # fmt: skip


def _text(v: Any) -> str | None:
    return None if v is None else str(v)


def _num(v: Any, kind: type) -> Any:
    try:
        n = kind(float(v)) if v is not None else None
    except (TypeError, ValueError, OverflowError):  # int(float("inf"))
        return None
    return None if kind is int and not fits_bigint(n) else n


def bad_amount(r: dict[str, Any]) -> tuple[str, bool] | None:
    """The first of spend, impressions and clicks (Meta's strings of digits, or numbers) that r
    gives but that is no amount, and whether it is a number (a count past BIGINT) or not."""
    for k in ("spend", "impressions", "clicks"):
        v = r.get(k)
        if v in (None, ""):
            continue
        if not is_number(v):
            return k, False
        if k != "spend" and not fits_bigint(v):
            return k, True
    return None


def is_number(v: object) -> bool:
    """Whether v is a finite number, or a string of one ("12.34"; not "1,234.50")."""
    if isinstance(v, bool) or not isinstance(v, str | int | float):
        return False
    try:
        return math.isfinite(float(v))
    except ValueError:
        return False


def fits_bigint(v: Any) -> bool:
    """Whether the number v (or its string) fits a BIGINT column (impressions, clicks...)."""
    return v is None or abs(float(v)) < 2**63


COLUMNS = pa.schema([
    ("date", pa.date32()), ("ad_id", pa.string()), ("ad_name", pa.string()),
    ("adset_id", pa.string()), ("adset_name", pa.string()), ("campaign_id", pa.string()),
    ("campaign_name", pa.string()), ("account_id", pa.string()), ("spend", pa.float64()),
    ("impressions", pa.int64()), ("clicks", pa.int64()), ("conversations_started", pa.int64()),
    ("actions", pa.string()), ("cost_per_action_type", pa.string()),
    ("pulled_at", pa.timestamp("us")), ("account_currency", pa.string()),
])  # fmt: skip


def held_currency(con: duckdb.DuckDBPyConnection, account_id: str | None = None) -> tuple[str, str]:
    """A currency the stored spend is in, and an account of it ('' and '' with none said),
    leaving out account_id's own rows (a re-pull replaces them)."""
    found = con.execute(
        """SELECT account_currency, coalesce(account_id, '?') FROM ad_insights
           WHERE account_currency IS NOT NULL
             AND ($account IS NULL OR account_id IS DISTINCT FROM $account)
           ORDER BY pulled_at DESC LIMIT 1""",
        {"account": account_id},
    ).fetchall()
    return (str(found[0][0]), str(found[0][1])) if found else ("", "")


def insights_table(rows: list[list[Any]]) -> pa.Table:
    """Rows of insight_row as an Arrow table of ad_insights' columns."""
    cols = list(zip(*rows, strict=True))
    return pa.Table.from_arrays(
        [arrow_arrays.column(c, f.type) for c, f in zip(cols, COLUMNS, strict=True)],
        schema=COLUMNS,
    )


def days_and_ads(keys: Collection[tuple[dt.date, str]]) -> pa.Table:
    """(day, ad id) pairs as an Arrow table of date and ad_id."""
    return pa.Table.from_arrays([arrow_arrays.column([d for d, _ in keys], pa.date32()),
                                 arrow_arrays.column([a for _, a in keys], pa.string())],
                                names=["date", "ad_id"])  # fmt: skip


def store(
    con: duckdb.DuckDBPyConnection,
    rows: list[list[Any]],
    window: tuple[str, dt.date, dt.date] | None = None,
) -> None:
    """Upsert rows: a re-pull replaces the revised day and ad; a day and ad met twice in one
    pull (pages shift while Meta revises) keeps the last.

    window (account id, since, until) says the rows are the whole answer for that account and
    those days: its stored rows that the answer no longer holds go (Meta leaves out a day and
    ad with no delivery, so one revised to nothing stops coming). Run it in a transaction.
    """
    last = {(r[0], r[1]): r for r in rows}
    if window is not None:
        remove_gone(con, rows, window)
    if not last:
        return
    with db.registered(con, "_refscope_insights", insights_table(list(last.values()))):
        con.execute("INSERT OR REPLACE INTO ad_insights SELECT * FROM _refscope_insights")


def remove_gone(
    con: duckdb.DuckDBPyConnection, rows: list[list[Any]], window: tuple[str, dt.date, dt.date]
) -> None:
    """Delete the stored rows of window (account id, since, until) that rows, the whole answer
    for those days, no longer hold (see store). A row that names no account (an insights file
    asked without account_id) is the account's when its ad is: in the answer, or in a row that
    names the account."""
    account_id, since, until = window
    kept = days_and_ads({(r[0], r[1]) for r in rows})
    with db.registered(con, "_refscope_kept", kept):
        con.execute(
            """DELETE FROM ad_insights a
               WHERE a.date BETWEEN $since AND $until
                 AND (a.account_id = $account OR a.account_id IS NULL AND (
                          a.ad_id IN (SELECT ad_id FROM _refscope_kept)
                          OR a.ad_id IN (SELECT ad_id FROM ad_insights
                                         WHERE account_id = $account)))
                 AND NOT EXISTS (SELECT 1 FROM _refscope_kept k
                                 WHERE k.date = a.date AND k.ad_id = a.ad_id)""",
            {"account": account_id, "since": since, "until": until},
        )
