"""Every page's empty state names only the filters to clear that are set: the Contacts page said
to clear "the search and the page and channel filters" with neither filter set (and "the page
and channel filters" with no search either), and Retention "the page and channel filters"
whatever was set, as the Overview did before."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests import factories as fx
from tests.dashboard.conftest import ADS
from tests.dashboard.screen import show

NO_MATCH = "No contacts match."
BEFORE = {"range": "Previous month"}  # of the small database: wholly before its data


@pytest.mark.parametrize(
    ("query", "hint"),
    [
        ({}, "Widen the date range."),
        ({"channel": "organic"}, "Widen the date range or clear the channel filter."),
        ({"page": fx.PAGE_ID}, "Widen the date range or clear the page filter."),
        (
            {"page": fx.PAGE_ID, "channel": "organic"},
            "Widen the date range or clear the page and channel filters.",
        ),
    ],
)
def test_contacts_of_a_range_without_any_name_the_filters_set(
    open_app: Any, small_db: Path, query: dict[str, str], hint: str
) -> None:
    at = show(open_app(small_db, **BEFORE, **query), "contacts")
    assert [i.value for i in at.info] == [f"{NO_MATCH} {hint}"]


def test_a_search_that_finds_nothing_names_it_and_the_filter_set(
    open_app: Any, small_db: Path
) -> None:
    at = show(open_app(small_db, page=fx.PAGE_ID), "contacts")
    at.text_input(key="rs_contacts_search").input("no-such-contact-anywhere").run()
    assert [i.value for i in at.info] == [
        f"{NO_MATCH} Widen the date range or clear the search and the page filter."
    ]


@pytest.mark.parametrize(
    ("query", "hint"),
    [
        ({}, "Widen the date range or clear the picks above."),
        (
            {"channel": "ctm_ad"},
            "Widen the date range or clear the picks above and the channel filter.",
        ),
    ],
)
def test_picks_that_leave_no_contact_name_them_and_the_filters_set(
    open_app: Any, small_db: Path, query: dict[str, str], hint: str
) -> None:
    """An ad whose one contact did not engage, picked with Engaged: yes."""
    idle = next(ad for ad, (_, count, engaged) in ADS.items() if count and not engaged)
    at = show(open_app(small_db, **query), "contacts")
    at.selectbox(key="rs_pick_ad_id").set_value(idle).run()
    at.selectbox(key="rs_pick_engaged").set_value(True).run()
    assert not at.exception
    assert [i.value for i in at.info] == [f"{NO_MATCH} {hint}"]


@pytest.mark.parametrize(
    ("query", "hint"),
    [
        (BEFORE, "Widen the date range."),
        (BEFORE | {"page": fx.PAGE_ID}, "Widen the date range or clear the page filter."),
        # No comment reply in the small database: the range covers the data, the filter not.
        ({"channel": "comment_reply"}, "Widen the date range or clear the channel filter."),
    ],
)
def test_retention_without_cohorts_names_the_filters_set(
    open_app: Any, small_db: Path, query: dict[str, str], hint: str
) -> None:
    at = show(open_app(small_db, **query), "retention")
    assert [i.value for i in at.info] == [f"No contacts acquired in this range. {hint}"]
