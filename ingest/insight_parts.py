"""Insights rows broken down (`breakdowns=publisher_platform`, `age,gender`...): Meta answers one
row per day, ad and breakdown value, and the parts of a day and ad add up to its figures, which
`ad_insights` holds one row of. https://developers.facebook.com/docs/marketing-api/insights/breakdowns
"""

from __future__ import annotations

from collections.abc import Hashable
from decimal import Decimal, InvalidOperation
from typing import Any

# The breakdowns Meta names (its refusal of another lists them), and the asset breakdowns of
# dynamic creative: a row holding one is a part of its day and ad.
# https://developers.facebook.com/docs/marketing-api/ad-creative/asset-feed-spec/insights
BREAKDOWNS = (
    "age", "country", "dma", "gender", "frequency_value",
    "hourly_stats_aggregated_by_advertiser_time_zone",
    "hourly_stats_aggregated_by_audience_time_zone", "impression_device", "place_page_id",
    "publisher_platform", "platform_position", "device_platform", "product_id", "region",
    "user_segment_key", "ad_format_asset", "body_asset", "call_to_action_asset",
    "description_asset", "image_asset", "link_url_asset", "title_asset", "video_asset",
)  # fmt: skip
_SUMMED = ("spend", "impressions", "clicks")


def breakdown(row: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    """The breakdown values a row holds (none: a row of its whole day and ad)."""
    return tuple((k, repr(row[k])) for k in BREAKDOWNS if k in row)


def labels(row: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    """A row's texts that are not figures (names, ids of text, a breakdown's value): two rows
    of one day and ad whose labels differ are two parts of it, else one row said twice."""
    return tuple(
        sorted((k, v) for k, v in row.items() if isinstance(v, str) and _number(v) is None)
    )


def whole(parts: list[dict[str, Any]]) -> dict[str, Any]:
    """One row of the day and ad that parts (rows of one day and ad) are parts of: spend,
    impressions, clicks and each action's counts added up, the cost per action of the sums."""
    if len(parts) == 1:
        return parts[0]
    out = {k: v for k, v in parts[0].items() if k not in BREAKDOWNS}
    for k in _SUMMED:
        out[k] = _sum(p.get(k) for p in parts)
    actions = _add_actions([a for p in parts for a in _list(p.get("actions"))])
    out["actions"] = actions
    costs = [c for p in parts for c in _list(p.get("cost_per_action_type"))]
    out["cost_per_action_type"] = _costs(out["spend"], actions, costs)
    return out


def _list(v: Any) -> list[dict[str, Any]]:
    return [a for a in v if isinstance(a, dict)] if isinstance(v, list) else []


def _number(v: Any) -> Decimal | None:
    if v is None or v == "" or isinstance(v, bool):
        return None
    try:
        n = Decimal(str(v))
    except InvalidOperation:
        return None
    return n if n.is_finite() else None


def _text(n: Decimal) -> str:
    """A sum as Meta writes its figures: "20", "15.5"."""
    return str(int(n)) if n == n.to_integral_value() else format(n.normalize(), "f")


def _sum(values: Any) -> str | None:
    found = [n for n in map(_number, values) if n is not None]
    return _text(sum(found, Decimal(0))) if found else None


def _add_actions(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Entries of one action (the same action_type, and action breakdowns such as
    action_destination) as one, each count (value, 7d_click...) added up; in order of first
    appearance."""
    merged: dict[Hashable, dict[str, Any]] = {}
    for e in entries:
        held = merged.setdefault(_action_key(e), {})
        for k, v in e.items():
            n, before = _count(k, v), _number(held.get(k))
            held[k] = _text(n + (before or 0)) if n is not None and k in held else v
    return list(merged.values())


def _count(k: str, v: Any) -> Decimal | None:
    """An action entry's count (value, 7d_click...), or None for what names the action: its type
    and its action breakdowns (action_destination, action_target_id...: Meta names them all
    action_*), an id among them a digit string, as ids are."""
    return None if k.startswith("action_") else _number(v)


def _action_key(e: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    """What names an action entry: entries of one key are one action's counts."""
    return tuple(sorted((k, repr(v)) for k, v in e.items() if _count(k, v) is None))


def _costs(spend: str | None, actions: list[dict[str, Any]],
           given: list[dict[str, Any]]) -> list[dict[str, Any]]:  # fmt: skip
    """Meta's cost per action, of the action types the parts said one of: the spend over the
    action's count, each count (value, 7d_click...) of the whole day and ad."""
    total, out, seen = _number(spend), [], set()
    for c in given:
        key = _action_key(c)
        if key in seen or total is None:
            continue
        seen.add(key)
        done = next((a for a in actions if _action_key(a) == key), None)
        cost = {k: v for k, v in c.items() if _count(k, v) is None}
        named = len(cost)
        for k, v in c.items():
            n = _count(k, done.get(k)) if done and _count(k, v) is not None else None
            if n:
                cost[k] = f"{float(total / n):.6f}".rstrip("0").rstrip(".")  # Meta: 6 at most
        if len(cost) > named:
            out.append(cost)
    return out


def per_day_and_ad(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows of one answer (a pull's pages) as one row per day and ad: its parts (broken down
    alike as the last read) added up; a part met again (pages shift while Meta revises) is the
    same part, the last reading of it kept. In order of each day and ad's first row."""
    days: dict[tuple[Any, Any], dict[tuple[tuple[str, str], ...], dict[str, Any]]] = {}
    for r in rows:
        parts = days.setdefault((r.get("date_start"), str(r.get("ad_id"))), {})
        parts.pop(breakdown(r), None)
        parts[breakdown(r)] = r
    out = []
    for parts in days.values():
        alike = tuple(k for k, _ in list(parts)[-1])
        out.append(whole([r for key, r in parts.items() if tuple(k for k, _ in key) == alike]))
    return out
