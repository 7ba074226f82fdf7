"""Ad spend's "previous period not fully covered" is said only where ad spend could be counted:
with a channel filter that leaves out Click-to-Messenger ads, spend and cost per ad contact are
"—" in every period, whatever the pulled days cover, and a note on coverage would mislead."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from dashboard import queries, widgets
from dashboard.filters import Filters
from tests.dashboard.conftest import opened
from tests.dashboard.screen import metric, show

# Its previous week (2026-08-28 – 09-03) starts before the first day of spend (2026-09-01), inside
# the contacts' data (from 2026-07-28).
WEEK = Filters(dt.date(2026, 9, 4), dt.date(2026, 9, 10))
SPEND = ("Ad spend", "Cost per ad contact")  # no currency in these insights


def test_spend_says_not_covered_only_when_ads_are_counted(report_db: Path) -> None:
    with opened(report_db) as con:
        all_channels = queries.kpis(con, WEEK.previous(), True)["not_covered"].iloc[0]
        organic = Filters(WEEK.start, WEEK.end, channels=("organic",)).previous()
        without_ads = queries.kpis(con, organic, True)["not_covered"].iloc[0]
    assert all_channels.split(",") == ["spend", "cost_per_contact"]
    assert without_ads == ""


def test_the_overview_says_nothing_of_coverage_beside_spend_no_channel_counts(
    open_app: Any, report_db: Path
) -> None:
    link = {"range": "Custom", "from": str(WEEK.start), "to": str(WEEK.end)}
    at = show(open_app(report_db, channel="organic", **link), "overview")
    for label in SPEND:
        shown = metric(at, label)
        assert (shown.value, shown.delta, shown.proto.delta_description) == ("—", "—", ""), label
    at = show(open_app(report_db, **link), "overview")
    assert metric(at, SPEND[0]).proto.delta_description == widgets.NOT_COVERED
