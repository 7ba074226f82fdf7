"""queries.py against real databases, each number recomputed in Python from the raw tables:
bounds, KPIs, filters and empty ranges. Each page's own queries: test_queries_refs.py,
test_queries_ads.py, test_queries_website_chat.py and test_queries_comments.py."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Callable

import duckdb
import pandas as pd
import pytest

from dashboard import queries
from dashboard.filters import Filters, spend_gap
from dashboard.report_data import day_cell, day_list
from ingest import db, links, pipeline
from ingest.attribute import USER_KINDS
from tests import factories as fx
from tests.dashboard.conftest import SMALL_ENGAGED, build_pruned_db, opened
from tests.dashboard.reference import (
    acquired,
    contacts,
    day_of,
    num,
    rows,
)

EMPTY = Filters(dt.date(2020, 1, 1), dt.date(2020, 1, 31))


# --- bounds, pages, runs -----------------------------------------------------------------------


def test_data_bounds_are_the_first_and_last_event_days_and_the_contact_count(con, demo_contacts):
    stamps = [r["ts"] for r in rows(con, "SELECT ts FROM events")]
    b = queries.data_bounds(con)
    assert len(b) == 1
    assert day_of(b["first_day"].iloc[0]) == min(stamps).date() == dt.date(2026, 7, 28)
    assert day_of(b["last_day"].iloc[0]) == max(stamps).date()
    assert int(b["contacts"].iloc[0]) == len(demo_contacts) > 0


def test_an_event_at_midnight_today_is_todays_not_a_whole_day(tmp_path):
    """Today starts at 00:00:00.000 UTC: a contact arriving on that instant is today's, so the
    newest whole day, where presets end, is still yesterday."""
    midnight = dt.datetime.now(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    ms = int(midnight.timestamp() * 1000)
    lines = [fx.delivery(fx.message("hi", psid="u1", ts=ms - 12 * fx.HOUR)),
             fx.delivery(fx.message("hi", psid="u2", ts=ms))]  # fmt: skip
    path = tmp_path / "live.duckdb"
    pipeline.run([str(fx.write_ndjson(tmp_path / "logs" / "a.ndjson", lines))], path)
    with opened(path) as con:
        b = queries.data_bounds(con)
    yesterday = midnight.date() - dt.timedelta(days=1)
    assert (day_cell(b, "whole_day"), day_cell(b, "last_day")) == (yesterday, midnight.date())


def test_with_only_todays_events_the_newest_whole_day_is_today(tmp_path):
    """A first day of webhooks has no whole day before it: presets end today, rather than the
    dashboard having no range to show."""
    now = dt.datetime.now(dt.UTC)
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    lines = [fx.delivery(fx.message("hi", psid="u1", ts=int(midnight.timestamp() * 1000)))]
    path = tmp_path / "first_day.duckdb"
    pipeline.run([str(fx.write_ndjson(tmp_path / "logs" / "a.ndjson", lines))], path)
    with opened(path) as con:
        b = queries.data_bounds(con)
    assert (day_cell(b, "whole_day"), day_cell(b, "last_day")) == (now.date(), now.date())


def test_after_a_prune_the_data_starts_on_its_date(tmp_path):
    """Prune keeps an older touch of a conversation not yet opened: no whole day of data."""
    path = tmp_path / "pruned.duckdb"
    cut = build_pruned_db(path)
    con = db.connect(path)
    try:
        assert con.execute("SELECT psid FROM events WHERE ts < ?", [cut]).fetchall() == [("early",)]
        assert day_of(queries.data_bounds(con)["first_day"].iloc[0]) == cut
        # A previous period from before the prune is no period to compare with.
        half = Filters(cut - dt.timedelta(days=3), cut + dt.timedelta(days=24))
        assert pd.isna(queries.kpis(con, half, True)["new_contacts"].iloc[0])
    finally:
        con.close()


def test_a_database_from_before_a_new_table_is_read_with_that_table_empty(tmp_path):
    """The dashboard opens read-only: tables added to the schema since the file was last
    written (by the next ingest) must read as empty, not fail every page."""
    path = tmp_path / "old.duckdb"
    build_pruned_db(path)
    con = db.connect(path)
    con.execute("DROP TABLE ad_pulls")
    con.execute("DROP TABLE prunes")
    con.close()
    con = db.connect(path, read_only=True)
    try:
        assert queries.spend_days(con).isna().all(axis=None)
        assert queries.kpis(con, Filters(dt.date(2020, 1, 1), dt.date(2030, 1, 1)))[
            "new_contacts"].iloc[0] == 2  # fmt: skip
    finally:
        con.close()
    other = tmp_path / "other.duckdb"  # another program's file is no refscope database
    duckdb.connect(str(other)).execute("CREATE TABLE orders (id INTEGER)").close()
    con = db.connect(other, read_only=True)
    try:
        with pytest.raises(duckdb.CatalogException, match="ingest_runs"):
            con.execute("SELECT count(*) FROM ingest_runs")
    finally:
        con.close()


def test_page_list_falls_back_to_the_page_id_when_the_page_is_unknown(con, demo_contacts):
    df = queries.page_list(con)
    ids = sorted({c["page_id"] for c in demo_contacts})
    assert list(df["page_id"]) == ids
    assert list(df["label"]) == ids


def test_page_list_uses_the_page_name_when_known(small):
    df = queries.page_list(small)
    assert df.to_dict("records") == [{"page_id": fx.PAGE_ID, "label": "Acme Bakery"}]


def test_last_run_id_is_the_newest_run_and_zero_before_the_first(con, db_path):
    assert queries.last_run_id(con) == 1
    empty = db.connect(db_path, read_only=True)
    try:
        assert queries.last_run_id(empty) == 0
    finally:
        empty.close()


def test_last_run_id_ignores_a_run_still_loading(tmp_path):
    con = db.connect(tmp_path / "r.duckdb")
    try:
        con.execute(
            """INSERT INTO ingest_runs (run_id, started_at, finished_at) VALUES
               (1, TIMESTAMP '2026-01-01', TIMESTAMP '2026-01-01 00:01'),
               (2, TIMESTAMP '2026-01-02', NULL)"""
        )
        assert queries.last_run_id(con) == 1
        con.execute("UPDATE ingest_runs SET finished_at = TIMESTAMP '2026-01-02 00:01'")
        assert queries.last_run_id(con) == 2
    finally:
        con.close()


def test_known_pages_offer_the_username_when_known_else_the_id(small, con, demo_contacts):
    assert queries.known_pages(small).to_dict("records") == [
        {"page": fx.PAGE_USERNAME, "label": "Acme Bakery"}
    ]
    ids = sorted({c["page_id"] for c in demo_contacts})
    assert queries.known_pages(con).to_dict("records") == [{"page": i, "label": i} for i in ids]


def test_tracked_link_stats_count_what_each_registered_link_brought_in(small):
    cs = [c for c in contacts(small) if c["ref"] == "qr_big"]
    df = queries.tracked_link_stats(small).set_index("ref")
    assert sorted(df.index) == ["qr_big", "qr_late"]
    big = df.loc["qr_big"]
    assert (big["page"], big["channel"], big["campaign"], big["new_contacts"]) == (
        fx.PAGE_USERNAME,
        "qr_code",
        "spring",
        len(cs),
    )
    assert big["engaged_rate"] == pytest.approx(SMALL_ENGAGED["qr_big"] / len(cs))
    assert big["last_contact"] == max(c["last_seen_at"] for c in cs)
    late = df.loc["qr_late"]
    assert late["new_contacts"] == 0 and pd.isna(late["engaged_rate"])


def test_links_registered_together_under_one_ref_are_listed_in_page_order(db_path):
    """Rows that tie on the sort keys must come in one order, on the database and the lake."""
    con = db.connect(db_path)
    try:
        links.register(
            con, [links.make_link(p, "menu") for p in ("zetabakery", "alphabakery", "midbakery")]
        )
        assert queries.tracked_link_stats(con)["page"].tolist() == [
            "alphabakery",
            "midbakery",
            "zetabakery",
        ]
    finally:
        con.close()


# --- KPIs and contacts per day / channel -------------------------------------------------------


def test_kpis_count_new_engaged_and_reachable_contacts(con, demo_contacts, filters):
    acq = acquired(demo_contacts, filters)
    engaged = sum(c["second_message_at"] is not None for c in acq)
    k = queries.kpis(con, filters).iloc[0]
    assert (int(k["new_contacts"]), int(k["engaged"])) == (len(acq), engaged)
    assert len(acq) > 50
    assert k["engaged_rate"] == pytest.approx(engaged / len(acq))
    assert pd.isna(k["spend"]) and pd.isna(k["cost_per_contact"])  # no ad insights in the demo


def test_reachable_counts_own_actions_on_the_last_day_even_of_a_past_range(
    con, demo_contacts, filters
):
    acted = con.execute("SELECT page_id, psid, ts, kind FROM events WHERE psid IS NOT NULL")
    rows = acted.fetchall()
    came_back = 0
    for back in range(14):  # ranges ending weeks before the data does
        end = filters.end - dt.timedelta(days=back)
        reachable = len({(p, u) for p, u, ts, kind in rows
                         if ts.date() == end and kind in USER_KINDS})  # fmt: skip
        k = queries.kpis(con, Filters(filters.start - dt.timedelta(days=back), end)).iloc[0]
        assert int(k["reachable"]) == reachable > 0, end
        came_back += reachable - sum(c["last_seen_at"].date() == end for c in demo_contacts)
    assert came_back > 0  # some who acted on such a day came back later: not their last action


def test_new_contacts_by_day_sum_to_kpis_and_count_each_day_and_channel(
    con, demo_contacts, filters
):
    df = queries.new_contacts_by_day(con, filters)
    got = {(day_of(r.day), r.channel): int(r.contacts) for r in df.itertuples()}
    acq = acquired(demo_contacts, filters)
    want = Counter((c["first_seen_at"].date(), c["channel"]) for c in acq)
    assert got == dict(want)
    assert int(df["contacts"].sum()) == int(queries.kpis(con, filters)["new_contacts"].iloc[0])
    assert list(df["day"]) == sorted(df["day"])


def test_channel_totals_count_new_engaged_and_reentries_per_channel(con, demo_contacts, filters):
    """Re-entries are the range's re-entry touches by their own channel: a past period's
    figure stays as it was when its contacts come back later."""
    acq = acquired(demo_contacts, filters)
    back = Counter(
        t["channel"]
        for t in rows(con, "SELECT * FROM touches WHERE is_reentry")
        if filters.start <= t["ts"].date() <= filters.end
    )
    want = {}
    for ch in {c["channel"] for c in acq} | set(back):
        cs = [c for c in acq if c["channel"] == ch]
        engaged = sum(c["second_message_at"] is not None for c in cs)
        want[ch] = (len(cs), engaged, engaged / len(cs) if cs else None, back[ch])
    df = queries.channel_totals(con, filters)
    got = {
        r.channel: (int(r.new_contacts), int(r.engaged), num(r.engaged_rate), int(r.reentries))
        for r in df.itertuples()
    }
    assert got == {ch: (n, e, rate if rate is None else pytest.approx(rate), re)
                   for ch, (n, e, rate, re) in want.items()}  # fmt: skip
    assert sum(v[3] for v in want.values()) > 0  # the demo has re-entries to count
    assert list(df["channel"]) == sorted(want, key=lambda ch: (-want[ch][0], ch))
    kpis = queries.kpis(con, filters).iloc[0]
    assert int(df["new_contacts"].sum()) == int(kpis["new_contacts"])
    assert int(df["engaged"].sum()) == int(kpis["engaged"])


def test_channel_totals_count_the_reentries_of_the_ranges_last_day(con):
    """A range takes in its end day whole: a one-day range counts that day's re-entries."""
    stamps = [r["ts"] for r in rows(con, "SELECT ts FROM touches WHERE is_reentry")]
    day = Counter(ts.date() for ts in stamps).most_common(1)[0][0]
    want = sum(ts.date() == day for ts in stamps)
    df = queries.channel_totals(con, Filters(day, day))
    assert int(df["reentries"].sum()) == want > 0


# --- the previous period -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "start, days",
    [
        (dt.date(2026, 11, 24), 1),
        (dt.date(2026, 11, 18), 7),
        (dt.date(2026, 10, 28), 28),
        (dt.date(2026, 10, 1), 31),
        (dt.date(2026, 8, 27), 90),
        (dt.date(2026, 2, 28), 10),
    ],
    ids=["1-day", "7-days", "28-days", "31-days", "90-days", "10-days-across-february"],
)
def test_previous_period_has_the_same_length_and_weekdays_just_before(start, days):
    f = Filters(start, start + dt.timedelta(days=days - 1), ("p1",), ("qr_code",))
    prev = f.previous()
    assert prev.days == f.days == days
    assert prev.start.weekday() == f.start.weekday()
    assert prev.end.weekday() == f.end.weekday()
    assert prev.end < f.start
    assert (f.start - prev.end).days <= 7  # the nearest aligned period, not an older one
    assert (f.start - prev.start).days % 7 == 0
    assert (prev.pages, prev.channels) == (f.pages, f.channels)


@pytest.mark.parametrize(
    "start, end, want",
    [
        ("2023-11-14", "2023-12-01", ""),  # covered
        ("2023-11-10", "2023-11-20", "cover 2023-11-14 – 2023-11-20 of this range"),
        ("2023-11-20", "2023-12-09", "cover 2023-11-20 – 2023-12-01 of this range"),
        ("2023-12-02", "2023-12-09", "none of this range"),
    ],
    ids=["covered", "starts-before", "ends-after", "outside"],
)
def test_spend_gap_says_which_days_of_the_range_the_ad_insights_cover(small, start, end, want):
    f = Filters(dt.date.fromisoformat(start), dt.date.fromisoformat(end))
    days = queries.spend_days(small)
    first, last = (day_cell(days, c) for c in ("first_day", "last_day"))
    assert (first, last) == (dt.date(2023, 11, 14), dt.date(2023, 12, 1))
    note = spend_gap(f, first, last)
    assert (want in note) if want else note == ""
    assert spend_gap(f, None, None) == ""  # no insights at all: the pages say so themselves


def test_spend_gap_at_its_edges_names_the_days_as_they_are():
    """A range starting on the last pulled day has that day's spend; one missing day is "1
    day"; three stretches are all named, with no "0 more stretches"."""
    first, last = dt.date(2023, 11, 14), dt.date(2023, 12, 1)
    f = Filters(last, dt.date(2023, 12, 7))
    note = spend_gap(f, first, last)
    assert "cover 2023-12-01 – 2023-12-01 of this range" in note, note
    assert "none of this range" not in note
    f = Filters(dt.date(2023, 11, 15), dt.date(2023, 11, 28))
    note = spend_gap(f, first, last, [dt.date(2023, 11, 20)])
    assert "no pull asked for 1 day of it (2023-11-20): spend counts" in note, note
    three = [dt.date(2023, 11, d) for d in (17, 19, 21)]
    note = spend_gap(f, first, last, three)
    assert "3 days of it (2023-11-17, 2023-11-19, 2023-11-21): spend counts" in note, note


def test_days_between_two_pulls_are_a_gap_in_the_spend(small_db):
    """Coverage ran from the first pulled day to the last: days between two pulls, never
    asked for, read as pulled, and their missing spend went without a word."""
    f = Filters(dt.date(2023, 11, 15), dt.date(2023, 11, 28))
    with opened(small_db) as c:  # insights stored without a pull tell no gap
        assert queries.spend_missing(c, f).empty
    con = db.connect(small_db)
    con.execute("""INSERT INTO ad_pulls VALUES
                   ('act_1', '2023-11-14', '2023-11-16', now()),
                   ('act_1', '2023-11-25', '2023-12-01', now())""")
    con.close()
    with opened(small_db) as c:
        missing = day_list(queries.spend_missing(c, f), "day")
        assert missing == [dt.date(2023, 11, d) for d in range(17, 25)]
        days = queries.spend_days(c)
        first, last = (day_cell(days, n) for n in ("first_day", "last_day"))
        note = spend_gap(f, first, last, missing)
        assert "no pull asked for 8 days of it (2023-11-17 – 2023-11-24)" in note, note
        assert "spend counts the pulled days only" in note, note
        # Scattered gaps: the first stretches named, the rest counted.
        scattered = [dt.date(2023, 11, d) for d in (17, 18, 20, 22, 24, 26)]
        note = spend_gap(f, first, last, scattered)
        assert "6 days of it (2023-11-17 – 2023-11-18, 2023-11-20, 2023-11-22, 2 more " in note
        # A range the pulls cover has nothing to say, and its spend compares.
        pulled = Filters(dt.date(2023, 11, 25), dt.date(2023, 12, 1))
        assert queries.spend_missing(c, pulled).empty
        assert spend_gap(pulled, first, last, []) == ""
        assert queries.kpis(c, pulled, whole=True)["spend"].iloc[0] == 99.0
        # As a previous period, a range with a gap is no spend to compare with.
        assert pd.isna(queries.kpis(c, f, whole=True)["spend"].iloc[0])


def test_kpis_of_the_previous_period_count_its_own_contacts(con, demo_contacts, filters):
    prev = filters.previous()
    assert (prev.start, prev.end) == (dt.date(2026, 9, 7), dt.date(2026, 10, 4))
    k = queries.kpis(con, prev).iloc[0]
    assert int(k["new_contacts"]) == len(acquired(demo_contacts, prev)) > 0


# --- page and channel filters ------------------------------------------------------------------


def test_page_filter_narrows_every_count_to_that_page(con, demo_contacts, filters):
    pages = sorted({c["page_id"] for c in demo_contacts})
    assert len(pages) == 2
    totals = []
    for page in pages:
        f = Filters(filters.start, filters.end, pages=(page,))
        want = acquired(demo_contacts, f)
        assert int(queries.kpis(con, f)["new_contacts"].iloc[0]) == len(want)
        assert int(queries.channel_totals(con, f)["new_contacts"].sum()) == len(want)
        assert set(queries.contact_rows(con, f)["page_id"]) == {page}
        assert set(queries.refs(con, f)["page_id"]) <= {page}
        assert set(queries.comments(con, f)["page_id"]) <= {page}
        totals.append(len(want))
    assert 0 < min(totals) and sum(totals) == len(acquired(demo_contacts, filters))


def test_channel_filter_keeps_only_the_chosen_channels(con, filters):
    everything = queries.channel_totals(con, filters).set_index("channel")
    chosen = ("ctm_ad", "m_me_link")
    f = Filters(filters.start, filters.end, channels=chosen)
    df = queries.channel_totals(con, f).set_index("channel")
    assert sorted(df.index) == sorted(chosen)
    pd.testing.assert_frame_equal(df, everything.loc[list(df.index)])
    assert int(queries.kpis(con, f)["new_contacts"].iloc[0]) == int(df["new_contacts"].sum())
    for name in ("new_contacts_by_day", "cohorts", "returns_by_channel", "contact_rows"):
        assert set(getattr(queries, name)(con, f)["channel"]) == set(chosen), name
    assert set(queries.refs(con, f)["channel"]) == {"m_me_link"}


def test_page_and_channel_filters_combine(con, demo_contacts, filters):
    page = sorted({c["page_id"] for c in demo_contacts})[0]
    f = Filters(filters.start, filters.end, pages=(page,), channels=("m_me_link",))
    want = {(c["page_id"], c["psid"]) for c in acquired(demo_contacts, f)}
    got = queries.contact_rows(con, f)
    assert set(zip(got["page_id"], got["psid"], strict=True)) == want and want


# --- empty ranges and empty databases ----------------------------------------------------------

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
