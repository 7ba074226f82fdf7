"""The first week of the data: the week before it lies wholly before the first log. Its "—"
changes say why, as for a week the data covers in part (the README: a previous period that
starts before the first log has no figures to compare with, "previous period not fully
covered" beside the "—"); they said nothing, as if the week before had been compared and
found without contacts."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from dashboard import queries, widgets
from dashboard.filters import Filters
from tests.dashboard.chat_setup import chat_weeks
from tests.dashboard.screen import metric, show

CONTACT_KPIS = ("New contacts", "Engaged contacts", "Engaged rate", "Reachable at the end (24 h)")


def _first_week(con: Any) -> Filters:
    first = queries.data_bounds(con)["first_day"].iloc[0]
    first = first.date() if hasattr(first, "date") else first
    return Filters(first, first + dt.timedelta(days=6))


def test_the_first_weeks_changes_say_the_week_before_is_not_covered(
    open_app: Any, demo_db: Path, con: Any
) -> None:
    week = _first_week(con)
    assert week.previous().end < week.start  # wholly before the data
    at = show(open_app(demo_db, range="Custom", **{"from": str(week.start), "to": str(week.end)}),
              "overview")  # fmt: skip
    for label in CONTACT_KPIS:
        shown = metric(at, label)
        assert shown.value != "—", label  # the week on screen has figures
        assert (shown.delta, shown.proto.delta_description) == ("—", widgets.NOT_COVERED), label


def test_a_previous_period_wholly_before_the_data_names_its_figures_not_covered(
    con: Any,
) -> None:
    before = _first_week(con).previous()
    (row,) = queries.kpis(con, before, True).to_dict("records")
    assert row["not_covered"] == "new_contacts,engaged,engaged_rate,reachable"
    # Without any pulled ad insights (none in this database) spend is never known: no note.
    assert queries.spend_days(con)["first_day"].isna().all()


def test_website_chats_first_week_says_the_week_before_is_not_covered(
    open_app: Any, tmp_path: Path
) -> None:
    path, later = chat_weeks(tmp_path)
    start = later.start - dt.timedelta(days=4)  # the data's first day
    at = show(open_app(path, range="Custom", **{"from": str(start), "to": str(later.start)}),
              "website_chat")  # fmt: skip
    shown = metric(at, "Guest share")
    assert (shown.value, shown.delta) == ("100.0%", "—")
    assert shown.proto.delta_description == widgets.NOT_COVERED
