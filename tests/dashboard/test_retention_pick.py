"""The Retention page's channel picker through AppTest: a pick filters the cohorts the page
holds, it does not ask the database again."""

from __future__ import annotations

from typing import Any

import pandas as pd

from dashboard import queries
from tests.dashboard.screen import show


def test_a_channel_pick_reads_the_cohorts_once(open_app, demo_copy, monkeypatch):
    """Every channel's cohorts are read for the heatmap; a picked channel's rows for its
    download are among them (the data's last day is the newest event's, whatever the filter),
    but the page ran the query again for that channel: twice the work of its slowest query on
    each pick."""
    calls: list[tuple[Any, ...]] = []
    query = queries.cohorts

    def counted(*args: Any) -> pd.DataFrame:
        calls.append(args[1:])  # the filters, and whatever else, without the connection
        return query(*args)

    monkeypatch.setattr(queries, "cohorts", counted)
    at = show(open_app(demo_copy), "retention")  # a database of its own: nothing cached yet
    assert len(calls) == 1
    picker = at.selectbox(key="rs_retention_channel")
    picker.select("ctm_ad").run()
    assert not at.exception, [e.message for e in at.exception]
    assert at.selectbox(key="rs_retention_channel").value == "ctm_ad"
    assert len(calls) == 1, calls
