"""A link that names a filter value twice (a hand-edited bookmark, two links pasted together):
each page and channel is picked once, and a single-valued filter given twice is read, and
said, as the value the dashboard uses."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ingest.demo_catalog import ACME
from tests.dashboard.screen import show, shown


def test_a_page_or_channel_named_twice_is_picked_once(open_app: Any, demo_db: Path) -> None:
    """The Channels picker showed "Organic" twice (removing one chip left the other) and the
    link the app wrote back kept both."""
    at = show(open_app(demo_db, channel=["organic", "organic"], page=[ACME, ACME]), "overview")
    pages, channels = at.sidebar.multiselect
    assert (pages.value, channels.value) == ([ACME], ["organic"])
    # The link written back names each once (one value reads as a string).
    assert (at.query_params["page"], at.query_params["channel"]) == (ACME, "organic")
    assert at.session_state["filters"].channels == ("organic",)


def test_a_range_or_date_given_twice_is_said_as_the_one_used(open_app: Any, demo_db: Path) -> None:
    """The dashboard uses the last of a repeated range, from or to (as Streamlit reads the
    query string), but its warning spoke of the first: "range 'Nonsense' is not one of …
    (Last 28 days is shown)" above a custom range, "from 'banana' is not a date (the first day
    of data is used)" above the range from the 1st of November."""
    at = show(open_app(demo_db, range=["Nonsense", "Custom"], **{"from": ["banana", "2026-11-01"],
                                                                  "to": "2026-11-10"}),
              "overview")  # fmt: skip
    f = at.session_state["filters"]
    assert (str(f.start), str(f.end)) == ("2026-11-01", "2026-11-10")
    assert at.sidebar.selectbox[0].value == "Custom"
    assert not at.main.warning, [w.value for w in at.main.warning]
    bad = show(open_app(demo_db, range="Custom", **{"from": ["2026-11-01", "banana"]}), "overview")
    (warning,) = [shown(w.value) for w in bad.main.warning]
    assert "from 'banana' is not a date" in warning
