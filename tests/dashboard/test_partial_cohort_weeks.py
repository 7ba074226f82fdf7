"""A range that starts or ends mid-week gives the Retention page's heatmap a first or last cohort
week of fewer days than seven, whose contacts are those days' alone: the page says so beside it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from dashboard.filters import Filters, partial_weeks
from tests.dashboard.screen import show

MONDAY = dt.date(2026, 10, 5)
WEEKS = [MONDAY + dt.timedelta(days=7 * n) for n in range(5)]  # 2026-10-05 – 11-02


def test_a_range_cut_at_both_ends_names_each_partial_week():
    f = Filters(dt.date(2026, 10, 8), dt.date(2026, 11, 3))  # Thursday to Tuesday
    assert partial_weeks(f, WEEKS) == (
        "The first cohort week, of 2026-10-05, holds only 4 of its 7 days (the range starts on "
        "Thursday 2026-10-08), and the last, of 2026-11-02, only 2 (it ends on Tuesday "
        "2026-11-03): their contacts are those days' alone."
    )
    assert partial_weeks(Filters(MONDAY, f.end), WEEKS) == (
        "The last cohort week, of 2026-11-02, holds only 2 of its 7 days (the range ends on "
        "Tuesday 2026-11-03): its contacts are those days' alone."
    )


def test_whole_weeks_and_weeks_without_a_cohort_need_no_note():
    assert partial_weeks(Filters(MONDAY, dt.date(2026, 11, 1)), WEEKS) == ""
    f = Filters(dt.date(2026, 10, 8), dt.date(2026, 11, 1))  # Thursday to Sunday
    assert partial_weeks(f, WEEKS[1:]) == ""  # no contact in its first week: no row to explain
    assert partial_weeks(f, WEEKS) == (
        "The first cohort week, of 2026-10-05, holds only 4 of its 7 days (the range starts on "
        "Thursday 2026-10-08): its contacts are those days' alone."
    )


def test_a_range_inside_one_week():
    f = Filters(dt.date(2026, 10, 6), dt.date(2026, 10, 8))
    assert partial_weeks(f, WEEKS[:1]) == (
        "The only cohort week, of 2026-10-05, holds only 3 of its 7 days (the range is "
        "2026-10-06 – 2026-10-08): its contacts are those days' alone."
    )


def test_the_retention_page_says_so_beside_its_heatmap(open_app: Any, demo_db: Any) -> None:
    link = {"range": "Custom", "from": "2026-10-08", "to": "2026-11-03"}
    at = show(open_app(demo_db, **link), "retention")
    captions = [c.value for c in at.caption]
    assert any("The first cohort week, of 2026-10-05, holds only 4 of its 7 days" in c
               for c in captions), captions  # fmt: skip
    at = show(open_app(demo_db, range="Custom", **{"from": "2026-10-05", "to": "2026-11-01"}),
              "retention")  # fmt: skip
    assert not any("cohort week" in c.value for c in at.caption)
