"""queries.py against real databases, each number recomputed in Python from the raw tables:
KPIs and contacts per day and channel, the previous period and the spend gap, and the page and
channel filters. Bounds, pages, runs and tracked links: test_queries_bounds.py; empty ranges and
databases: test_queries_empty.py. Each page's own queries: test_queries_refs.py,
test_queries_ads.py, test_queries_website_chat.py and test_queries_comments.py."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pandas as pd
import pytest

from dashboard import queries
from dashboard.filters import Filters, spend_gap
from dashboard.report_data import day_cell, day_list
from ingest import db
from ingest.attribute import USER_KINDS
from tests.dashboard.conftest import opened
from tests.dashboard.reference import acquired, day_of, num, rows

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


def test_spend_gap_counts_the_stretches_it_does_not_name_in_words_that_read_right():
    """Four stretches said "1 more stretches"."""
    first, last = dt.date(2023, 11, 14), dt.date(2023, 12, 1)
    f = Filters(dt.date(2023, 11, 15), dt.date(2023, 11, 28))
    days = [dt.date(2023, 11, d) for d in (16, 18, 20, 22, 24)]
    four = spend_gap(f, first, last, days[:4])
    assert "(2023-11-16, 2023-11-18, 2023-11-20, 1 more stretch): spend" in four, four
    five = spend_gap(f, first, last, days)
    assert "(2023-11-16, 2023-11-18, 2023-11-20, 2 more stretches): spend" in five, five


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
