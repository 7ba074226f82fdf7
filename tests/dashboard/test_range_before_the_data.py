"""A range wholly before the data ("Previous month" of a database whose data starts this month):
the Overview says what is true of it. Its KPIs' "—" said "previous period not fully covered",
where the range itself has no data; its empty state said to clear the page and channel filters
where none was set."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dashboard import queries, widgets
from tests import factories as fx
from tests.dashboard.conftest import opened
from tests.dashboard.screen import metric, show

KPIS = ("New contacts", "Engaged contacts", "Engaged rate", "Reachable at the end (24 h)",
        "Ad spend", "Cost per ad contact")  # fmt: skip
NOTHING = "No new contacts in this range and filter."


def test_kpis_of_a_range_before_the_data_say_the_range_is_not_covered(
    open_app: Any, small_db: Path
) -> None:
    at = show(open_app(small_db, range="Previous month"), "overview")
    with opened(small_db) as con:
        first = queries.data_bounds(con)["first_day"].iloc[0]
    assert [c for c in at.caption if str(c.value).startswith("2023-10-01 – 2023-10-31;")]
    assert str(first)[:10] == "2023-11-14"  # the range lies wholly before the data
    for label in KPIS:
        shown = metric(at, label)
        assert (shown.value, shown.delta) == ("—", "—"), label
        assert shown.proto.delta_description == widgets.RANGE_NOT_COVERED, label
    assert widgets.RANGE_NOT_COVERED in widgets.CHANGE_HELP


def test_a_range_before_the_data_names_no_filter_that_is_not_set(
    open_app: Any, small_db: Path
) -> None:
    at = show(open_app(small_db, range="Previous month"), "overview")
    assert at.info[0].value == f"{NOTHING} Widen the date range."


def test_a_range_before_the_data_names_the_filters_that_are_set(
    open_app: Any, small_db: Path
) -> None:
    at = show(open_app(small_db, range="Previous month", channel="organic"), "overview")
    assert at.info[0].value == f"{NOTHING} Widen the date range or clear the channel filter."
    at = show(open_app(small_db, range="Previous month", page=fx.PAGE_ID), "overview")
    assert at.info[0].value == f"{NOTHING} Widen the date range or clear the page filter."
    both = open_app(small_db, range="Previous month", page=fx.PAGE_ID, channel="organic")
    assert show(both, "overview").info[0].value == (
        f"{NOTHING} Widen the date range or clear the page and channel filters."
    )
