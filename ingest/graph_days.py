"""The days an insights pull asks for: Meta keeps insights 37 months and revises the last 28
days, so a pull starts 28 days before the last pulled day and never before 37 months back.
https://developers.facebook.com/docs/marketing-api/insights
"""

from __future__ import annotations

import calendar
import datetime as dt

import duckdb

from .errors import ValidationError

REVISION_DAYS = 28  # Meta keeps revising insights for about 28 days: pull them again
MAX_MONTHS_BACK = 37  # older start dates fail with error 3018


def check_range(since: dt.date, until: dt.date, today: dt.date) -> None:
    if since > until:
        raise ValidationError(f"--since {since} is after --until {until}")
    oldest = months_back(today, MAX_MONTHS_BACK)
    if since < oldest:
        raise ValidationError(
            f"--since {since} is more than {MAX_MONTHS_BACK} months back: Meta keeps insights "
            f"from {oldest} on (error 3018)"
        )


def months_back(day: dt.date, months: int) -> dt.date:
    """The same day `months` earlier (the month's last day when it is shorter): a day 29-31
    must not be moved back to the 28th, which would be more than `months` back."""
    y, m = divmod(day.year * 12 + day.month - 1 - months, 12)
    return dt.date(y, m + 1, min(day.day, calendar.monthrange(y, m + 1)[1]))


def default_since(con: duckdb.DuckDBPyConnection | None, account: str, today: dt.date) -> dt.date:
    """The last pulled day minus the revision window, or 90 days back the first time (con None:
    no database yet). The last pulled day is the later of the last day a pull asked for
    (`ad_pulls`: Meta sends no row of a day without delivery, so an account whose ads stopped
    has no recent row) and the last day stored (from an insights file too)."""
    bare = account.removeprefix("act_")
    row = None
    if con is not None:
        row = con.execute(
            "SELECT (SELECT max(date) FROM ad_insights WHERE account_id = ?), "
            "(SELECT max(until) FROM ad_pulls WHERE account_id = ?)",
            [bare, bare],
        ).fetchone()
    last = max((d for d in row or () if d is not None), default=None)
    start = (last - dt.timedelta(days=REVISION_DAYS)) if last else today - dt.timedelta(days=90)
    return max(start, months_back(today, MAX_MONTHS_BACK))
