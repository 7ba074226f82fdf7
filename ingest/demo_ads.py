"""The demo's ad spend: what the Marketing API's insights edge answers for the demo's ads.

One row per ad and day it ran (`level=ad`, `time_increment=1`), in answer pages of 25 rows, one
page per line, as `refscope ingest` reads ad insights from files. Spend follows each ad's
conversations in the demo's own logs (its ADS referrals that day), so cost per contact comes
out near a real campaign's. Meta's count of conversations started is higher than the contacts
refscope attributes to the ad, up to about twice for ads that run for years: it counts every
ADS referral of the day (people who already had a thread, each time they come back through
the ad), and one more on about a quarter of the days.
https://developers.facebook.com/docs/marketing-api/insights
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import random
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from .demo_catalog import ACME, ADS, NORTHWIND
from .demo_conversation import Ev, day_of
from .insight_rows import CONVERSATIONS_STARTED

FILE = "ad-insights.ndjson"
ACCOUNTS = {ACME: "104455667788990", NORTHWIND: "209988776655443"}  # act_<id>, one per page
CURRENCY = "USD"  # both accounts': refscope keeps one currency per database
PAGE_ROWS = 25  # the Graph API's default page size


def conversations(events: Iterable[Ev]) -> Counter[tuple[str, dt.date]]:
    """Items carrying an ADS referral, by ad and day."""
    seen: Counter[tuple[str, dt.date]] = Counter()
    for ev in events:
        item = ev.item
        for ref in (item.get("referral"), (item.get("message") or {}).get("referral"),
                    (item.get("postback") or {}).get("referral")):  # fmt: skip
            if isinstance(ref, dict) and ref.get("source") == "ADS" and ref.get("ad_id"):
                seen[(ref["ad_id"], day_of(ev.at))] += 1
                break
    return seen


def rows(events: Iterable[Ev], start: dt.date, end: dt.date, seed: int) -> list[dict[str, object]]:
    """Each demo ad's insights rows for the days it ran from start to end."""
    rng = random.Random(f"ads-{seed}")  # a stream of its own: the logs do not change
    started = conversations(events)
    out: list[dict[str, object]] = []
    for ad_id, page, title, first, last in ADS:
        cpm, ctr = rng.uniform(5.0, 11.0), rng.uniform(0.008, 0.025)
        per_conversation, floor = rng.uniform(3.0, 8.0), rng.uniform(2.0, 6.0)
        campaign = str(int(ad_id) // 1000 * 1000 + 100)
        day = max(first, start)
        while day <= min(last or end, end):
            n = started[(ad_id, day)] + (rng.random() < 0.25)  # also threads already open
            spend = round(max(n * per_conversation, floor) * rng.uniform(0.8, 1.2), 2)
            impressions = int(spend / cpm * 1000)
            clicks = max(n, round(impressions * ctr * rng.uniform(0.8, 1.2)))
            actions = [{"action_type": "link_click", "value": str(clicks)}]
            cost = []
            if n:
                actions.append({"action_type": CONVERSATIONS_STARTED, "value": str(n)})
                cost.append({"action_type": CONVERSATIONS_STARTED, "value": f"{spend / n:.6f}"})
            out.append({
                "date_start": str(day), "date_stop": str(day), "account_id": ACCOUNTS[page],
                "campaign_id": campaign, "campaign_name": title,
                "adset_id": str(int(campaign) + 10), "adset_name": f"{title}: Messenger",
                "ad_id": ad_id, "ad_name": title, "spend": f"{spend:.2f}",
                "impressions": str(impressions), "clicks": str(clicks),
                "actions": actions, "cost_per_action_type": cost, "account_currency": CURRENCY,
            })  # fmt: skip
            day += dt.timedelta(days=1)
    return out


def write(out: Path, events: Iterable[Ev], start: dt.date, end: dt.date, seed: int) -> Path:
    """The rows as one account's answer after the other, a page per line."""
    lines = []
    every = rows(events, start, end, seed)
    for account in sorted(set(ACCOUNTS.values())):
        answer = sorted((r for r in every if r["account_id"] == account),
                        key=lambda r: (str(r["date_start"]), str(r["ad_id"])))  # fmt: skip
        for at in range(0, len(answer), PAGE_ROWS):
            cursors = {k: base64.b64encode(f"{account}:{k}:{at}".encode()).decode()
                       for k in ("before", "after")}  # fmt: skip
            page = {"data": answer[at : at + PAGE_ROWS], "paging": {"cursors": cursors}}
            lines.append(json.dumps(page, separators=(",", ":"), ensure_ascii=False))
    path = out / FILE
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path
