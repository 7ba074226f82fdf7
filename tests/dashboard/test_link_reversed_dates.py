"""A custom link whose dates are the wrong way round and reach outside the data: the warning
names the range the dashboard shows (turned round, then kept inside the data), not the link's
dates turned round ("the range 2026-11-01 to 2030-01-01 is shown" above 2026-11-01 – 2026-11-24)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from dashboard import queries
from tests.dashboard.screen import show, shown


def _day(value: Any) -> dt.date:
    return value.date() if hasattr(value, "date") else value


def test_dates_turned_round_and_beyond_the_data_are_said_as_shown(
    open_app: Any, demo_db: Path, con: Any
) -> None:
    bounds = queries.data_bounds(con)
    first, last = _day(bounds["first_day"].iloc[0]), _day(bounds["last_day"].iloc[0])
    inside = last - dt.timedelta(days=20)
    for given, start, end in (
        ((dt.date(2030, 1, 1), inside), inside, last),  # from after the data
        ((inside, dt.date(2020, 1, 1)), first, inside),  # to before it
    ):
        link = {"range": "Custom", "from": str(given[0]), "to": str(given[1])}
        at = show(open_app(demo_db, **link), "overview")
        f = at.session_state["filters"]
        assert (f.start, f.end) == (start, end)
        (warning,) = [shown(w.value) for w in at.main.warning]
        assert f"(the range {start} to {end} is shown)" in warning, warning
