"""queries.py against real databases, each number recomputed in Python from the raw tables."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest

from dashboard import queries
from dashboard.queries import Filters
from ingest import db
from tests import factories as fx
from tests.dashboard.conftest import ADS, CHATS, SMALL_ENGAGED, SMALL_RANGE, SMALL_REFS

Row = dict[str, Any]
REF_CHANNELS = ("m_me_link", "qr_code")
EMPTY = Filters(dt.date(2020, 1, 1), dt.date(2020, 1, 31))


# --- Python side: the same questions asked of the raw rows -------------------------------------


def rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[Row]:
    cur = con.execute(sql)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def contacts(con: duckdb.DuckDBPyConnection) -> list[Row]:
    return rows(con, "SELECT * FROM contacts")


def acquired(cs: list[Row], f: Filters) -> list[Row]:
    return [
        c
        for c in cs
        if f.start <= c["first_seen_at"].date() <= f.end
        and (not f.pages or c["page_id"] in f.pages)
        and (not f.channels or c["channel"] in f.channels)
    ]


def message_days(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], set[dt.date]]:
    days: dict[tuple[str, str], set[dt.date]] = defaultdict(set)
    for r in rows(con, "SELECT page_id, psid, day FROM contact_days"):
        days[r["page_id"], r["psid"]].add(r["day"])
    return days


def came_back(c: Row, days: dict[tuple[str, str], set[dt.date]], within: int) -> bool:
    first = c["first_seen_at"].date()
    return any(0 < (d - first).days <= within for d in days[c["page_id"], c["psid"]])


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """The 95% Wilson score interval, straight from the textbook formula."""
    p = k / n
    centre = p + z * z / (2 * n)
    margin = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return (centre - margin) / (1 + z * z / n), (centre + margin) / (1 + z * z / n)


def day_of(value: Any) -> dt.date:
    return pd.Timestamp(value).date()


def nan_or(value: float | None) -> Any:
    return pytest.approx(value) if value is not None else None


def num(value: Any) -> float | None:
    return None if pd.isna(value) else float(value)


def num_or_text(value: Any) -> Any:
    return None if pd.isna(value) else value


@pytest.fixture
def demo_contacts(con: duckdb.DuckDBPyConnection) -> list[Row]:
    return contacts(con)


@pytest.fixture
def small(small_db: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    c = db.connect(small_db, read_only=True)
    queries.install_macros(c)
    try:
        yield c
    finally:
        c.close()


# --- bounds, pages, runs -----------------------------------------------------------------------


def test_data_bounds_are_the_first_and_last_event_days_and_the_contact_count(con, demo_contacts):
    stamps = [r["ts"] for r in rows(con, "SELECT ts FROM events")]
    b = queries.data_bounds(con)
    assert len(b) == 1
    assert day_of(b["first_day"].iloc[0]) == min(stamps).date() == dt.date(2026, 7, 28)
    assert day_of(b["last_day"].iloc[0]) == max(stamps).date()
    assert int(b["contacts"].iloc[0]) == len(demo_contacts) > 0


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


# --- KPIs and contacts per day / channel -------------------------------------------------------


def test_kpis_count_new_engaged_and_reachable_contacts(con, demo_contacts, filters):
    acq = acquired(demo_contacts, filters)
    engaged = sum(c["second_message_at"] is not None for c in acq)
    reachable = sum(c["last_seen_at"].date() == filters.end for c in demo_contacts)
    k = queries.kpis(con, filters).iloc[0]
    assert (int(k["new_contacts"]), int(k["engaged"])) == (len(acq), engaged)
    assert len(acq) > 50
    assert k["engaged_rate"] == pytest.approx(engaged / len(acq))
    assert int(k["reachable"]) == reachable > 0
    assert pd.isna(k["spend"]) and pd.isna(k["cost_per_contact"])  # no ad insights in the demo


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
    acq = acquired(demo_contacts, filters)
    want = {}
    for ch in {c["channel"] for c in acq}:
        cs = [c for c in acq if c["channel"] == ch]
        engaged = sum(c["second_message_at"] is not None for c in cs)
        want[ch] = (len(cs), engaged, engaged / len(cs), sum(c["reentry_count"] for c in cs))
    df = queries.channel_totals(con, filters)
    got = {
        r.channel: (int(r.new_contacts), int(r.engaged), r.engaged_rate, int(r.reentries))
        for r in df.itertuples()
    }
    assert got == {ch: (n, e, pytest.approx(rate), re) for ch, (n, e, rate, re) in want.items()}
    assert sum(v[3] for v in want.values()) > 0  # the demo has re-entries to count
    assert list(df["channel"]) == sorted(want, key=lambda ch: (-want[ch][0], ch))
    kpis = queries.kpis(con, filters).iloc[0]
    assert int(df["new_contacts"].sum()) == int(kpis["new_contacts"])
    assert int(df["engaged"].sum()) == int(kpis["engaged"])


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


# --- refs: m.me links and QR codes -------------------------------------------------------------


def expected_refs(con: duckdb.DuckDBPyConnection, f: Filters) -> dict[tuple[str, str], Row]:
    days = message_days(con)
    want: dict[tuple[str, str], Row] = {}
    for t in rows(con, "SELECT * FROM touches WHERE ref IS NOT NULL ORDER BY ts"):
        if t["channel"] not in REF_CHANNELS or not f.start <= t["ts"].date() <= f.end:
            continue
        if f.pages and t["page_id"] not in f.pages:
            continue
        r = want.setdefault(
            (t["page_id"], t["ref"]),
            {
                "channel": t["channel"],
                "new_contacts": 0,
                "engaged": 0,
                "returned": 0,
                "reentries": 0,
                "first_seen": t["ts"],
            },
        )
        r["reentries"] += t["is_reentry"]
        r["last_seen"] = t["ts"]
    for c in acquired(contacts(con), f):
        if c["channel"] in REF_CHANNELS and c["ref"] is not None:
            r = want[c["page_id"], c["ref"]]
            r["channel"] = c["channel"]
            r["new_contacts"] += 1
            r["engaged"] += c["second_message_at"] is not None
            r["returned"] += came_back(c, days, 7)
    return want


def assert_refs_match(df: pd.DataFrame, want: dict[tuple[str, str], Row]) -> None:
    assert len(df) == len(want)
    for r in df.to_dict("records"):
        w = want[r["page_id"], r["ref"]]
        n, k = w["new_contacts"], w["engaged"]
        assert (r["channel"], r["new_contacts"], r["engaged"], r["reentries"]) == (
            w["channel"],
            n,
            k,
            w["reentries"],
        ), r["ref"]
        assert (r["first_seen"], r["last_seen"]) == (w["first_seen"], w["last_seen"])
        assert r["too_few"] == (n < queries.MIN_SAMPLE)
        if n:
            assert r["engaged_rate"] == pytest.approx(k / n)
            assert (r["ci_low"], r["ci_high"]) == pytest.approx(wilson(k, n), abs=1e-12)
            assert r["ci_low"] <= k / n <= r["ci_high"]
            assert r["return_7d_rate"] == pytest.approx(w["returned"] / n)
        else:
            assert pd.isna(r["engaged_rate"]) and pd.isna(r["ci_low"]) and pd.isna(r["ci_high"])


def test_refs_count_contacts_reentries_and_intervals_per_ref(con, demo_contacts):
    f = Filters(dt.date(2026, 7, 28), dt.date(2026, 11, 24))  # everything
    df = queries.refs(con, f)
    want = expected_refs(con, f)
    assert_refs_match(df, want)
    assert sum(w["reentries"] for w in want.values()) > 0
    ref_contacts = [
        c
        for c in acquired(demo_contacts, f)
        if c["channel"] in REF_CHANNELS and c["ref"] is not None
    ]
    assert int(df["new_contacts"].sum()) == len(ref_contacts) > 0
    assert not df["registered"].any()  # the demo registers no tracked links
    assert list(df["new_contacts"]) == sorted(df["new_contacts"], reverse=True)


def test_refs_mark_too_few_below_min_sample_and_registered_links(small):
    df = queries.refs(small, SMALL_RANGE).set_index("ref")
    assert_refs_match(df.reset_index(), expected_refs(small, SMALL_RANGE))
    assert SMALL_REFS == {"qr_big": queries.MIN_SAMPLE, "small": queries.MIN_SAMPLE - 1}
    assert not df.loc["qr_big", "too_few"] and df.loc["small", "too_few"]
    assert df.loc["qr_big", ["new_contacts", "engaged"]].tolist() == [30, SMALL_ENGAGED["qr_big"]]
    assert df.loc["qr_big", ["channel", "campaign", "placement"]].tolist() == [
        "qr_code",
        "spring",
        "window",
    ]
    assert df["registered"].to_dict() == {"qr_big": True, "small": False, "qr_late": True}


def test_a_qr_ref_seen_only_as_a_reentry_keeps_its_qr_channel(small):
    df = queries.refs(small, SMALL_RANGE).set_index("ref")
    assert df.loc["qr_late", ["channel", "new_contacts", "reentries"]].tolist() == ["qr_code", 0, 1]
    qr = queries.refs(small, Filters(SMALL_RANGE.start, SMALL_RANGE.end, channels=("qr_code",)))
    assert sorted(qr["ref"]) == ["qr_big", "qr_late"]


@pytest.mark.parametrize(
    "k, n", [(k, n) for n in (1, 2, 7, 29, 30, 500) for k in {0, 1, n // 2, n - 1, n}]
)
def test_wilson_macros_match_the_formula(con, k, n):
    low, high = con.execute("SELECT wilson_low(?, ?), wilson_high(?, ?)", [k, n, k, n]).fetchone()
    assert (low, high) == pytest.approx(wilson(k, n), abs=1e-12)


def test_wilson_formula_matches_published_values_and_is_null_without_contacts(con):
    # Reference values: Newcombe (1998), Table I, rows 81/263 and 0/10 (Wilson, no correction).
    assert wilson(81, 263) == pytest.approx((0.2553, 0.3662), abs=5e-5)
    assert wilson(0, 10) == pytest.approx((0.0, 0.2775), abs=5e-5)
    assert con.execute("SELECT wilson_low(0, 0), wilson_high(0, 0)").fetchone() == (None, None)


# --- ads, website chat, comments ---------------------------------------------------------------


def test_ads_count_contacts_per_ad_without_insights(con, demo_contacts, filters):
    want: dict[str, Row] = {}
    for c in acquired(demo_contacts, filters):
        if c["channel"] == "ctm_ad":
            w = want.setdefault(c["ad_id"], {"new": 0, "engaged": 0, "titles": set()})
            w["new"] += 1
            w["engaged"] += c["second_message_at"] is not None
            w["titles"] |= {c["ad_title"]} - {None}
    df = queries.ads(con, filters)
    assert len(df) == len(want) > 1
    for r in df.to_dict("records"):
        w = want[r["ad_id"]]
        assert (r["new_contacts"], r["engaged"]) == (w["new"], w["engaged"])
        assert r["ad_title"] == (max(w["titles"]) if w["titles"] else r["ad_id"])
        assert pd.isna(r["spend"]) and pd.isna(r["cost_per_contact"])
    assert list(df["new_contacts"]) == sorted(df["new_contacts"], reverse=True)


def test_ads_join_spend_from_insights_in_range(small):
    df = queries.ads(small, SMALL_RANGE).set_index("ad_id")
    sourdough, croissant, bagels = "6000000000001", "6000000000002", "6000000000003"
    assert list(df.index) == [sourdough, croissant, bagels]
    assert ADS[sourdough][1:] == (4, 2)
    row = df.loc[sourdough]
    assert (row["ad_title"], row["new_contacts"], row["engaged"]) == ("Sourdough", 4, 2)
    # 20 + 10 in range; the 99 on 2023-12-01 is outside it.
    assert (row["spend"], row["cost_per_contact"], row["cost_per_engaged"]) == (30.0, 7.5, 15.0)
    assert row["conversations_started"] == 7
    assert pd.isna(df.loc[croissant, "spend"]) and df.loc[croissant, "new_contacts"] == 1
    assert df.loc[bagels, ["ad_title", "new_contacts", "spend"]].tolist() == ["Bagels", 0, 7.5]
    assert pd.isna(df.loc[bagels, "cost_per_contact"])


@pytest.mark.parametrize(
    "pages, channels, spend, per_contact",
    [
        ((), (), 37.5, 37.5 / 69),
        ((fx.PAGE_ID,), (), 30.0, 30.0 / 69),
        ((fx.OTHER_PAGE_ID,), (), None, None),
        ((), ("ctm_ad",), 37.5, 37.5 / 5),
        ((), ("m_me_link",), None, None),
    ],
    ids=["all", "page-with-ad-contacts", "page-without", "ads-channel", "channel-without-ads"],
)
def test_kpi_spend_follows_the_page_and_channel_filters(small, pages, channels, spend, per_contact):
    k = queries.kpis(small, Filters(SMALL_RANGE.start, SMALL_RANGE.end, pages, channels)).iloc[0]
    assert (num(k["spend"]), num(k["cost_per_contact"])) == (nan_or(spend), nan_or(per_contact))


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


def test_comments_count_comments_private_replies_and_conversations_per_post(
    con, demo_contacts, filters
):
    events = rows(con, "SELECT * FROM events WHERE kind IN ('comment', 'private_reply')")
    post_of = {
        e["comment_id"]: e["post_id"]
        for e in events
        if e["kind"] == "comment" and e["comment_id"] is not None
    }
    in_range = [e for e in events if filters.start <= e["ts"].date() <= filters.end]
    added = Counter(
        (e["page_id"], e["post_id"])
        for e in in_range
        if e["kind"] == "comment" and e["detail"] == "add"
    )
    replied: dict[tuple[str, str], set[str]] = defaultdict(set)
    for e in in_range:
        if e["kind"] == "private_reply":
            post = e["post_id"] or post_of.get(e["comment_id"]) or "(unknown post)"
            replied[e["page_id"], post].add(e["comment_id"])
    conv = Counter(
        (c["page_id"], c["post_id"] or post_of.get(c["comment_id"]) or "(unknown post)")
        for c in acquired(demo_contacts, filters)
        if c["channel"] == "comment_reply"
    )
    df = queries.comments(con, filters)
    keys = set(added) | set(replied) | set(conv)
    assert len(df) == len(keys) and sum(conv.values()) > 0 and sum(added.values()) > 0
    for r in df.to_dict("records"):
        key = (r["page_id"], r["post_id"])
        n_pr = len(replied.get(key, ()))
        assert (r["comments"], r["private_replies"], r["conversations"]) == (
            added[key],
            n_pr,
            conv[key],
        ), key
        assert num(r["reply_rate"]) == (nan_or(conv[key] / n_pr) if n_pr else None)
    order = [(-r["comments"], -r["private_replies"], r["post_id"]) for r in df.to_dict("records")]
    assert order == sorted(order)


# --- retention ---------------------------------------------------------------------------------


def test_cohorts_share_who_messaged_again_each_week(con, demo_contacts, filters):
    days = message_days(con)
    groups: dict[tuple[dt.date, str], list[Row]] = defaultdict(list)
    for c in acquired(demo_contacts, filters):
        first = c["first_seen_at"].date()
        groups[first - dt.timedelta(days=first.weekday()), c["channel"]].append(c)
    df = queries.cohorts(con, filters)
    assert len(df) == len(groups)
    for r in df.to_dict("records"):
        cs = groups[day_of(r["cohort_week"]), r["channel"]]
        assert r["contacts"] == len(cs)
        for w in queries.RETENTION_WEEKS:
            back = 0
            for c in cs:
                first = c["first_seen_at"].date()
                weeks = {
                    ((d - first).days - 1) // 7 + 1
                    for d in days[c["page_id"], c["psid"]]
                    if d > first
                }
                back += w in weeks
            assert r[f"week_{w}"] == pytest.approx(back / len(cs)), (r["cohort_week"], w)
    assert df["week_1"].sum() > 0


def test_returns_by_channel_share_who_came_back_and_read_rate(con, demo_contacts, filters):
    days = message_days(con)
    by_channel: dict[str, list[Row]] = defaultdict(list)
    for c in acquired(demo_contacts, filters):
        by_channel[c["channel"]].append(c)
    df = queries.returns_by_channel(con, filters)
    assert sorted(df["channel"]) == sorted(by_channel)
    for r in df.to_dict("records"):
        cs = by_channel[r["channel"]]
        assert r["contacts"] == len(cs)
        for n in queries.RETURN_DAYS:
            share = sum(came_back(c, days, n) for c in cs) / len(cs)
            assert r[f"d{n}"] == pytest.approx(share), (r["channel"], n)
        sent = sum(c["page_message_count"] for c in cs)
        read = sum(c["page_messages_read"] for c in cs)
        assert num(r["read_rate"]) == (nan_or(read / sent) if sent else None)
    assert 0 < df["d7"].max() and (df["d1"] <= df["d7"]).all() and (df["d7"] <= df["d30"]).all()


# --- contact rows ------------------------------------------------------------------------------


def test_contact_rows_are_the_acquired_contacts_newest_first(con, demo_contacts, filters):
    want = {(c["page_id"], c["psid"]): c for c in acquired(demo_contacts, filters)}
    df = queries.contact_rows(con, filters)
    assert len(df) == len(want)
    for r in df.to_dict("records"):
        c = want[r["page_id"], r["psid"]]
        assert (r["channel"], num_or_text(r["ref"]), r["message_count"]) == (
            c["channel"],
            c["ref"],
            c["message_count"],
        )
        assert r["engaged"] == (c["second_message_at"] is not None)
    assert df["first_seen_at"].is_monotonic_decreasing


@pytest.mark.parametrize("search", ["site_footer", "SOURDOUGH", "QR_"], ids=str.lower)
def test_contact_search_matches_psid_ref_ad_title_or_page_case_insensitively(
    con, demo_contacts, filters, search
):
    def hit(c: Row) -> bool:
        fields = (c["psid"], c["ref"], c["ad_title"], c["referer_uri"])
        return any(v is not None and search.lower() in v.lower() for v in fields)

    want = {(c["page_id"], c["psid"]) for c in acquired(demo_contacts, filters) if hit(c)}
    df = queries.contact_rows(con, filters, search)
    assert set(zip(df["page_id"], df["psid"], strict=True)) == want and want


def test_contact_search_by_psid_finds_that_contact(con, demo_contacts, filters):
    c = acquired(demo_contacts, filters)[0]
    df = queries.contact_rows(con, filters, c["psid"])
    assert list(df["psid"]) == [c["psid"]]


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


def test_a_range_without_data_gives_zero_kpis(con):
    k = queries.kpis(con, EMPTY).to_dict("records")
    assert len(k) == 1
    assert (k[0]["new_contacts"], k[0]["engaged"], k[0]["reachable"]) == (0, 0, 0)
    assert all(pd.isna(k[0][c]) for c in ("engaged_rate", "spend", "cost_per_contact"))


def test_a_schema_only_database_answers_every_query(db_path, filters):
    c = db.connect(db_path, read_only=True)
    queries.install_macros(c)
    try:
        bounds = queries.data_bounds(c)
        assert int(bounds["contacts"].iloc[0]) == 0 and pd.isna(bounds["first_day"].iloc[0])
        assert queries.page_list(c).empty
        assert int(queries.kpis(c, filters)["new_contacts"].iloc[0]) == 0
        for name in COLUMNS:
            assert getattr(queries, name)(c, filters).empty, name
    finally:
        c.close()
