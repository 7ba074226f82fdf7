"""A link that names a filter value twice (a hand-edited bookmark, two links pasted together):
each page and channel is picked once, and a single-valued filter given twice is read, and
said, as the value the dashboard uses."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ingest.demo_catalog import ACME
from tests.dashboard.screen import show


def test_a_page_or_channel_named_twice_is_picked_once(open_app: Any, demo_db: Path) -> None:
    """The Channels picker showed "Organic" twice (removing one chip left the other) and the
    link the app wrote back kept both."""
    at = show(open_app(demo_db, channel=["organic", "organic"], page=[ACME, ACME]), "overview")
    pages, channels = at.sidebar.multiselect
    assert (pages.value, channels.value) == ([ACME], ["organic"])
    # The link written back names each once (one value reads as a string).
    assert (at.query_params["page"], at.query_params["channel"]) == (ACME, "organic")
    assert at.session_state["filters"].channels == ("organic",)
