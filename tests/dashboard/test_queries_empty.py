"""queries.py on empty ranges and empty databases: each query's documented columns, empty frames,
no KPIs (not zeros) for a range or previous period the data does not cover, a schema-only
database, and the last day's reachable contacts and re-entries under the filters."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Callable

import pandas as pd
import pytest

from dashboard import queries
from dashboard.filters import Filters
from ingest import db, pipeline
from ingest.attribute import USER_KINDS
from tests import factories as fx
from tests.dashboard.conftest import opened
from tests.dashboard.reference import rows

EMPTY = Filters(dt.date(2020, 1, 1), dt.date(2020, 1, 31))

COLUMNS: dict[str, list[str]] = {
    "new_contacts_by_day": ["day", "channel", "contacts"],
    "channel_totals": ["channel", "new_contacts", "engaged", "engaged_rate", "reentries"],
    "refs": [
        "page_id",
        "ref",
        "channel",
        "new_contacts",
        "reentries",
        "engaged",
        "engaged_rate",
        "ci_low",
        "ci_high",
        "too_few",
        "return_7d_rate",
        "first_seen",
        "last_seen",
        "registered",
        "campaign",
        "placement",
        "clicks",
        "scans",
        "contacts_per_click",
        "notes",
    ],
    "ads": [
        "ad_id",
        "ad_title",
        "new_contacts",
        "engaged",
        "engaged_rate",
        "spend",
        "cost_per_contact",
        "cost_per_engaged",
        "conversations_started",
    ],
    "products": ["product_id", "channel", "new_contacts", "engaged", "engaged_rate"],
    "website_chat": ["referer_uri", "new_contacts", "guests", "guest_share", "engaged_rate"],
    "comments": [
        "page_id",
        "post_id",
        "comments",
        "private_replies",
        "conversations",
        "reply_rate",
    ],
    "cohorts": [
        "cohort_week",
        "channel",
        "contacts",
        *[f"week_{w}" for w in queries.RETENTION_WEEKS],
        *[f"past_week_{w}" for w in queries.RETENTION_WEEKS],
    ],
    "returns_by_channel": ["channel", "contacts", "d1", "d7", "d30", "read_rate"],
    "contact_rows": [
        "page_id",
        "psid",
        "first_seen_at",
        "channel",
        "ref",
        "ad_id",
        "ad_title",
        "product_id",
        "referer_uri",
        "post_id",
        "message_count",
        "engaged",
        "reentry_count",
        "last_seen_at",
    ],
}


@pytest.mark.parametrize("name", list(COLUMNS), ids=list(COLUMNS))
def test_each_query_returns_its_documented_columns(con, filters, name):
    fn: Callable[..., pd.DataFrame] = getattr(queries, name)
    df = fn(con, filters)
    assert list(df.columns) == COLUMNS[name]
    documented = fn.__doc__ or ""
    assert [c for c in COLUMNS[name] if re.sub(r"week_\d+", "week_N", c) not in documented] == []


@pytest.mark.parametrize("name", list(COLUMNS), ids=list(COLUMNS))
def test_a_range_without_data_returns_an_empty_frame(con, name):
    df = getattr(queries, name)(con, EMPTY)
    assert df.empty and list(df.columns) == COLUMNS[name]


def test_a_previous_period_the_data_covers_in_part_has_no_kpis(con):
    """Half before the first log, it would show a growth that never happened."""
    first = queries.data_bounds(con)["first_day"].iloc[0]
    first = first.date() if hasattr(first, "date") else first
    part = Filters(first - dt.timedelta(days=3), first + dt.timedelta(days=24))
    assert pd.isna(queries.kpis(con, part, True)["new_contacts"].iloc[0])
    assert pd.isna(queries.kpis(con, part, True)["engaged_rate"].iloc[0])
    assert int(queries.kpis(con, part)["new_contacts"].iloc[0]) > 0  # the period on screen
    inside = Filters(first, first + dt.timedelta(days=27))
    assert int(queries.kpis(con, inside, True)["new_contacts"].iloc[0]) > 0


def test_reachable_looks_back_24_hours_from_the_newest_event_on_a_partial_day(tmp_path):
    """Opened at 07:00, the dashboard's last day holds seven hours: someone who wrote at 10:00
    the day before is still inside the 24-hour window."""
    day = fx.T0 - fx.T0 % fx.DAY + 2 * fx.DAY  # midnight
    lines = [
        fx.delivery(fx.message("a", psid="early", ts=day - 14 * fx.HOUR)),  # 10:00 the day before
        fx.delivery(fx.message("b", psid="old", ts=day - 40 * fx.HOUR)),  # outside the window
        fx.delivery(fx.message("c", psid="today", ts=day + 6 * fx.HOUR)),
        fx.delivery(fx.message("d", psid="today", ts=day + 7 * fx.HOUR)),
    ]
    path = tmp_path / "r.duckdb"
    pipeline.run([str(fx.write_ndjson(tmp_path / "logs" / "a.ndjson", lines))], path)
    today = fx.utc(day).date()
    with opened(path) as c:
        assert int(queries.kpis(c, Filters(today, today))["reachable"].iloc[0]) == 2
        yesterday = today - dt.timedelta(days=1)  # a whole past day: its own 24 hours
        assert int(queries.kpis(c, Filters(yesterday, yesterday))["reachable"].iloc[0]) == 1


def test_a_range_outside_the_data_gives_no_kpis_not_zeros(con, filters):
    """A previous period from before the first log is unknown, not a period with no one: its
    counts are NULL, so no "+2,764 from 0" is drawn against it."""
    after = Filters(filters.end + dt.timedelta(days=400), filters.end + dt.timedelta(days=427))
    for outside in (EMPTY, after):
        k = queries.kpis(con, outside).to_dict("records")
        assert len(k) == 1
        assert all(pd.isna(v) for v in k[0].values()), k[0]
    k = queries.kpis(con, filters).iloc[0]
    assert int(k["new_contacts"]) > 0 and int(k["reachable"]) >= 0


def test_a_schema_only_database_answers_every_query(db_path, filters):
    c = db.connect(db_path, read_only=True)
    queries.install_macros(c)
    try:
        bounds = queries.data_bounds(c)
        assert int(bounds["contacts"].iloc[0]) == 0 and pd.isna(bounds["first_day"].iloc[0])
        assert queries.page_list(c).empty
        assert pd.isna(queries.kpis(c, filters)["new_contacts"].iloc[0])  # no data, not zero
        for name in COLUMNS:
            assert getattr(queries, name)(c, filters).empty, name
    finally:
        c.close()


def test_reachable_counts_only_the_chosen_channels_contacts(con, demo_contacts, filters):
    """Reachable with a channel filter: those of the chosen channels' contacts who acted in the
    range's last 24 hours, as every other KPI of the row narrows to them."""
    acted = {(p, u) for p, u, ts, kind in con.execute(
        "SELECT page_id, psid, ts, kind FROM events WHERE psid IS NOT NULL").fetchall()
        if ts.date() == filters.end and kind in USER_KINDS}  # fmt: skip
    channel = {(c["page_id"], c["psid"]): c["channel"] for c in demo_contacts}
    counts = {}
    for ch in sorted(set(channel.values())):
        f = Filters(filters.start, filters.end, channels=(ch,))
        counts[ch] = int(queries.kpis(con, f)["reachable"].iloc[0])
        assert counts[ch] == sum(channel.get(k) == ch for k in acted), ch
    assert sum(counts.values()) == int(queries.kpis(con, filters)["reachable"].iloc[0])
    assert sum(n > 0 for n in counts.values()) > 1


def test_channel_totals_count_only_the_chosen_pages_reentries(con, filters):
    """With a page chosen, the Channels table's re-entries are that page's, as its new
    contacts are."""
    touches = rows(con, "SELECT page_id, channel, ts FROM touches WHERE is_reentry")
    pages = sorted({t["page_id"] for t in touches})
    assert len(pages) == 2
    for page in pages:
        f = Filters(filters.start, filters.end, pages=(page,))
        want = Counter(t["channel"] for t in touches
                       if t["page_id"] == page and f.start <= t["ts"].date() <= f.end)  # fmt: skip
        df = queries.channel_totals(con, f)
        got = {r.channel: int(r.reentries) for r in df.itertuples() if r.reentries}
        assert got == dict(want) and want, page
