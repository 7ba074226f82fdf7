"""What the Graph API's usage headers say of its rate limits: how near a limit the calls are,
and how long to wait before asking again.
https://developers.facebook.com/docs/graph-api/overview/rate-limiting
"""

from __future__ import annotations

import json
from typing import Any

import httpx

DEFAULT_THROTTLE_WAIT = 60.0  # seconds, when no header says how long
ROLLING_WINDOW = 3600.0  # seconds: the app, user and BUC call counts are over a rolling hour


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
