"""The Website chat page's queries against real databases: guests and engaged contacts per page
of the site, and the guest share of the range."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from dashboard import queries
from dashboard.filters import Filters
from tests.dashboard.conftest import CHATS, SMALL_RANGE


def test_website_chat_counts_guests_and_engaged_per_page(small, con, filters):
    df = queries.website_chat(small, SMALL_RANGE)
    want: dict[str, list[int]] = {}
    for uri, guest, engaged in CHATS:
        w = want.setdefault(uri, [0, 0, 0])
        w[0], w[1], w[2] = w[0] + 1, w[1] + guest, w[2] + engaged
    assert df.to_dict("records") == [
        {
            "referer_uri": uri,
            "new_contacts": n,
            "guests": g,
            "guest_share": g / n,
            "engaged_rate": e / n,
        }
        for uri, (n, g, e) in sorted(want.items(), key=lambda kv: -kv[1][0])
    ]
    assert queries.website_chat(con, filters).empty  # the plugin was shut down in 2024


def test_website_chat_totals_give_the_guest_share_of_the_range(small, con, filters):
    (row,) = queries.website_chat_totals(small, SMALL_RANGE).to_dict("records")
    guests = sum(guest for _, guest, _ in CHATS)
    assert row == {"new_contacts": len(CHATS), "guests": guests,
                   "guest_share": guests / len(CHATS)}  # fmt: skip
    (none,) = queries.website_chat_totals(con, filters).to_dict("records")
    assert (none["new_contacts"], none["guests"]) == (0, 0) and pd.isna(none["guest_share"])


def test_a_guest_share_to_compare_with_needs_the_range_to_start_on_or_after_the_data(small):
    """With `whole` (a previous period), a range starting on the data's first day is whole; one
    starting the day before is not, and has no share to compare with."""
    guests = sum(guest for _, guest, _ in CHATS)
    (row,) = queries.website_chat_totals(small, SMALL_RANGE, whole=True).to_dict("records")
    assert row["guest_share"] == guests / len(CHATS)
    early = Filters(SMALL_RANGE.start - dt.timedelta(days=1), SMALL_RANGE.end)
    (row,) = queries.website_chat_totals(small, early, whole=True).to_dict("records")
    assert row["new_contacts"] == len(CHATS) and pd.isna(row["guest_share"])
