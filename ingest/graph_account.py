"""The ad account's own today: Meta dates insights rows, and reads an insights `time_range`, in
the ad account's time zone (its `timezone_name`), not in UTC.
https://developers.facebook.com/docs/marketing-api/reference/ad-account
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import httpx

from .graph import GraphClient, GraphError, UnwaitedThrottle

FIELDS = "timezone_name,timezone_offset_hours_utc"


def account_today(api: GraphClient, account: str, now: dt.datetime | None = None) -> dt.date:
    """Today in the ad account's time zone, as GET /{account}?fields=timezone_name says it (else
    its timezone_offset_hours_utc); today in UTC when the answer says neither (another API at
    --base-url, a failure, a zone this machine does not know). A failure is not retried: the
    insights calls that follow say what is wrong, if anything is."""
    now = now or dt.datetime.now(dt.UTC)
    body = _account(api, account)
    name = body.get("timezone_name")
    if isinstance(name, str) and name:
        try:
            return now.astimezone(ZoneInfo(name)).date()
        except (ZoneInfoNotFoundError, ValueError):  # not known here, or not a zone's name
            pass
    hours = body.get("timezone_offset_hours_utc")
    if isinstance(hours, int | float) and not isinstance(hours, bool) and abs(hours) <= 14:
        return (now.astimezone(dt.UTC) + dt.timedelta(hours=hours)).date()
    return now.astimezone(dt.UTC).date()


def _account(api: GraphClient, account: str) -> dict[str, Any]:
    """The account node's answer, {} when it is not a JSON object of HTTP 200. A throttled
    answer is waited out as the insights calls wait (they would be throttled too), then asked
    once more; the token goes in a header, as for them, and the answer is never shown."""
    try:
        return api.node(account, FIELDS)
    except UnwaitedThrottle:
        raise  # the insights calls would be throttled too, and count against the limit
    except (GraphError, httpx.HTTPError, ValueError, RecursionError):
        return {}
