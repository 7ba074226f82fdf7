"""The KPI rows ask one query per period: the previous period's says itself which of its
figures the data covers only in part (not_covered), where a second run of the same query,
not whole, told it before."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from dashboard import queries, store
from dashboard.filters import Filters
from tests.dashboard.chat_setup import chat_weeks
from tests.dashboard.screen import show


@pytest.mark.parametrize(("page", "query"), [("overview", "kpis"),
                                             ("website_chat", "website_chat_totals")])  # fmt: skip
def test_a_kpi_row_asks_its_query_once_per_period(
    open_app: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, page: str, query: str
) -> None:
    path, week = chat_weeks(tmp_path)
    asked: list[tuple[Any, ...]] = []
    fetch = store.fetch

    def counted(name: str, *args: Any) -> pd.DataFrame:
        if name == query:
            asked.append(args)
        return fetch(name, *args)

    monkeypatch.setattr(store, "fetch", counted)
    at = show(open_app(path, range="Custom", **{"from": str(week.start), "to": str(week.end)}),
              page)  # fmt: skip
    shown = at.session_state["filters"]  # the range as the data's end cut it
    assert shown.start == week.start and asked
    assert sum(1 for a in asked if a[0] == shown.previous()) == 1, asked
    # And its "—" still says why.
    assert "previous period not fully covered" in {m.proto.delta_description for m in at.metric}


def test_not_covered_names_the_figures_whole_alone_left_out(con: Any) -> None:
    first = queries.data_bounds(con)["first_day"].iloc[0]
    first = first.date() if hasattr(first, "date") else first
    half = Filters(first - dt.timedelta(days=3), first + dt.timedelta(days=3))
    (row,) = queries.kpis(con, half, True).to_dict("records")
    assert row["not_covered"] == "new_contacts,engaged,engaged_rate,reachable"
    assert pd.isna(row["new_contacts"])
    (seen,) = queries.kpis(con, half).to_dict("records")  # the period on screen: whole or not
    assert "not_covered" not in seen and seen["new_contacts"] > 0
    inside = Filters(first, first + dt.timedelta(days=6))
    assert queries.kpis(con, inside, True)["not_covered"].iloc[0] == ""
