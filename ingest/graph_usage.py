"""What the Graph API's usage headers say of its rate limits: how near a limit the calls are,
and how long to wait before asking again.
https://developers.facebook.com/docs/graph-api/overview/rate-limiting
"""

from __future__ import annotations

import datetime as dt
import json
import math
from typing import Any

import httpx

DEFAULT_THROTTLE_WAIT = 60.0  # seconds, when no header says how long
ROLLING_WINDOW = 3600.0  # seconds: the app, user and BUC call counts are over a rolling hour
# The longest window Meta counts a rate limit over (the Messenger and Pages limits are per 24
# hours): a throttle's Retry-After is waited out up to this, not cut to a failing server's 300 s,
# and a wait the usage headers state past it is no limit's (a proxy's or a fault's figure).
LONGEST_LIMIT_WINDOW = 24 * 3600.0


def _usage_entries(headers: httpx.Headers) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    # x-fb-ads-insights-throttle: the Insights API's own (app_id_util_pct, acc_id_util_pct).
    # https://developers.facebook.com/docs/marketing-api/insights/best-practices
    for name in ("x-app-usage", "x-ad-account-usage", "x-page-usage", "x-fb-ads-insights-throttle"):
        if name in headers:
            try:
                v = json.loads(headers[name])
            except ValueError:
                continue
            if isinstance(v, dict):
                out.append(v)
    if "x-business-use-case-usage" in headers:
        try:
            buc = json.loads(headers["x-business-use-case-usage"])
        except ValueError:
            buc = {}
        for entries in buc.values() if isinstance(buc, dict) else ():
            if isinstance(entries, list):
                out.extend(e for e in entries if isinstance(e, dict))
    return out


def max_usage_pct(headers: httpx.Headers) -> float:
    keys = ("call_count", "total_cputime", "total_time", "acc_id_util_pct", "app_id_util_pct")
    values = [
        float(e[k]) for e in _usage_entries(headers) for k in keys
        if isinstance(e.get(k), int | float)
    ]  # fmt: skip
    return max(values, default=0.0)


def regain_seconds(headers: httpx.Headers) -> float:
    """The longest estimated_time_to_regain_access (minutes) in the headers, in seconds."""
    waits = [
        float(e["estimated_time_to_regain_access"]) * 60 for e in _usage_entries(headers)
        if isinstance(e.get("estimated_time_to_regain_access"), int | float)
    ]  # fmt: skip
    return max(waits, default=0.0)


def stated_wait(headers: httpx.Headers) -> float:
    """Seconds the headers say to wait: estimated_time_to_regain_access (minutes) or
    reset_time_duration, the longest; 0 when none says."""
    waits = []
    for e in _usage_entries(headers):
        if isinstance(e.get("estimated_time_to_regain_access"), int | float):
            waits.append(float(e["estimated_time_to_regain_access"]) * 60)
        if isinstance(e.get("reset_time_duration"), int | float):
            waits.append(float(e["reset_time_duration"]))
    return max([w for w in waits if w > 0], default=0.0)


def throttle_wait(headers: httpx.Headers) -> float:
    """Seconds to wait: as the headers say (stated_wait), else DEFAULT_THROTTLE_WAIT."""
    return stated_wait(headers) or DEFAULT_THROTTLE_WAIT


def untimed_wait(in_row: int) -> float:
    """Seconds to wait after the in_row-th throttle in a row that says no time (X-App-Usage
    alone, or nothing): Meta counts calls over a rolling hour, and each call made while
    throttled counts too, "which will increase the time before calls will be successful
    again": 60 s, doubled at each one, up to the hour."""
    return min(DEFAULT_THROTTLE_WAIT * 2.0 ** (in_row - 1), ROLLING_WINDOW)


def past_every_window(wait: float) -> str | None:
    """What a pull says in place of waiting `wait` seconds, as the usage headers state it, when
    that is longer than LONGEST_LIMIT_WINDOW (100,000 minutes would keep a cron job asleep for
    69 days; a number no time fits failed with an OverflowError): when Meta says access is
    regained, and when to try again. None for a wait to wait out."""
    if wait <= LONGEST_LIMIT_WINDOW:
        return None
    minutes = wait / 60
    said = f"{minutes:,.0f} min" if minutes < 1e9 else f"{minutes:.3g} min"
    try:  # to the minute after
        when = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=math.ceil(wait / 60) * 60)
        again = f"after {when:%Y-%m-%d %H:%M} UTC, or sooner if that figure is a fault"
    except (OverflowError, ValueError):  # past year 9999, or no number
        said = f"no time that can be waited ({said})"
        again = "later: that figure is a fault"
    return (
        f"Meta's usage headers say access is regained in {said}, longer than the 24 h of "
        f"the longest window Meta counts a limit over: not waited; run `refscope pull ads` "
        f"again {again}"
    )
