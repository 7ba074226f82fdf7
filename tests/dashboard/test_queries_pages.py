"""Each page's queries (refs, ads, website chat, comments) against real databases, each number
recomputed in Python from the raw tables (retention and contact rows: test_queries_contacts.py)."""

from __future__ import annotations

import datetime as dt
import io
from collections import Counter, defaultdict
from typing import Any

import duckdb
import pandas as pd
import pytest

from dashboard import queries, reports
from dashboard.filters import Filters
from ingest import clicklog, db, links, pipeline
from tests import factories as fx
from tests.dashboard.conftest import (
    ADS,
    CHATS,
    SMALL_ENGAGED,
    SMALL_RANGE,
    SMALL_REFS,
    opened,
)
from tests.dashboard.reference import (
    Row,
    acquired,
    came_back,
    contacts,
    message_days,
    nan_or,
    num,
    rows,
    wilson,
)

REF_CHANNELS = ("m_me_link", "qr_code")


# --- refs: m.me links and QR codes -------------------------------------------------------------


def expected_refs(con: duckdb.DuckDBPyConnection, f: Filters) -> dict[tuple[str, str], Row]:
    days = message_days(con)
    (newest,) = con.execute("SELECT max(ts) FROM events").fetchone() or (None,)
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
                "past_7d": 0,
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
            # As Retention: among those whose 7 days had passed when the data ends.
            if c["first_seen_at"].date() + dt.timedelta(days=7) <= newest.date():
                r["past_7d"] += 1
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
            if w["past_7d"]:
                assert r["return_7d_rate"] == pytest.approx(w["returned"] / w["past_7d"])
            else:  # no one's 7 days had passed: not known yet, not 0%
                assert pd.isna(r["return_7d_rate"])
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


def test_refs_find_username_links_and_count_each_click_once(tmp_path):
    """Links registered by username: mapped through `pages`, or by the ref alone when one page
    registered it; a click counts for its own link only, never for every page of its ref."""
    day = dt.datetime.fromtimestamp(fx.T0 / 1000, dt.UTC).date()
    other = "otherbakery"  # OTHER_PAGE_ID's username, never mapped in `pages`
    logs = tmp_path / "logs"
    fx.write_ndjson(logs / "webhooks.ndjson", [
        fx.delivery(fx.postback(referral=fx.referral_obj(ref), psid=psid, ts=fx.T0,
                                page_id=page),
                    page_id=page)
        for psid, page, ref in (("u1", fx.PAGE_ID, "site_footer"),
                                ("u2", fx.OTHER_PAGE_ID, "site_footer"),
                                ("u3", fx.OTHER_PAGE_ID, "solo_ref"))
    ])  # fmt: skip
    clicks = [("site_footer", fx.PAGE_USERNAME)] * 2 + [("site_footer", other)]
    clicks += [("solo_ref", other)] * 3
    (logs / "clicks.ndjson").write_bytes(
        b"".join(
            clicklog.click_line(fx.T0 - 1000, ref, page, True, "mobile") for ref, page in clicks
        )
    )
    path = tmp_path / "r.duckdb"
    con = db.connect(path)
    try:
        con.execute("INSERT INTO pages VALUES (?, ?, NULL)", [fx.PAGE_ID, fx.PAGE_USERNAME])
        links.register(con, [links.make_link(fx.PAGE_USERNAME, "site_footer"),
                             links.make_link(other, "site_footer"),
                             links.make_link(other, "solo_ref", campaign="solo")])  # fmt: skip
    finally:
        con.close()
    pipeline.run([str(logs)], path)
    with opened(path) as c:
        df = queries.refs(c, Filters(day, day)).fillna({"page_id": "?"})
    got = df.set_index(["page_id", "ref"])[["registered", "clicks", "scans", "campaign"]]
    got = got.astype(object)
    got = got.where(got.notna(), None).to_dict("index")
    assert got == {
        (fx.PAGE_ID, "site_footer"): {"registered": True, "clicks": 2, "scans": 2,
                                      "campaign": None},
        # Shared by two pages, and its username unmapped: no page id to tell them apart.
        (fx.OTHER_PAGE_ID, "site_footer"): {"registered": False, "clicks": 0, "scans": 0,
                                            "campaign": None},
        (fx.OTHER_PAGE_ID, "solo_ref"): {"registered": True, "clicks": 3, "scans": 3,
                                         "campaign": "solo"},
        # That unmapped link's own click, on a row of its own rather than lost.
        ("?", "site_footer"): {"registered": True, "clicks": 1, "scans": 1, "campaign": None},
    }  # fmt: skip


def test_a_link_registered_for_one_page_is_not_credited_with_another_pages_contacts(tmp_path):
    """The Create links table and Links & QR count a registered link's contacts alike: by its
    page id when known, by the ref alone only when its page is an unmapped username."""
    logs = tmp_path / "logs"
    fx.write_ndjson(logs / "webhooks.ndjson", [
        fx.delivery(fx.postback(referral=fx.referral_obj(ref), psid=psid, ts=fx.T0))
        for psid, ref in (("u1", "signature"), ("u2", "signature"), ("u3", "footer"))])  # fmt: skip
    path = tmp_path / "r.duckdb"
    con = db.connect(path)
    try:
        links.register(con, [links.make_link(fx.OTHER_PAGE_ID, "signature"),
                             links.make_link("unmappedshop", "footer")])  # fmt: skip
    finally:
        con.close()
    pipeline.run([str(logs)], path)
    with opened(path) as c:
        stats = queries.tracked_link_stats(c).set_index("ref")["new_contacts"].to_dict()
        day = fx.utc(fx.T0).date()
        seen = queries.refs(c, Filters(day, day)).set_index("ref")
        on_day = queries.tracked_link_stats(c, Filters(day, day))
        before = queries.tracked_link_stats(
            c, Filters(day - dt.timedelta(days=7), day - dt.timedelta(days=1))
        )
        other = queries.tracked_link_stats(c, Filters(day, day, (), ("chat_widget",)))
    assert stats == {"signature": 0, "footer": 1}
    # In a range, as Links & QR counts it: the same figure on its day, none the week before.
    assert on_day.set_index("ref")["new_contacts"].to_dict() == stats
    assert before.set_index("ref")["new_contacts"].to_dict() == {"signature": 0, "footer": 0}
    # Another channel chosen: every link is still listed, none with contacts of that channel.
    assert other.set_index("ref")["new_contacts"].to_dict() == {"signature": 0, "footer": 0}
    assert seen["registered"].to_dict() == {"signature": False, "footer": True}


def test_refs_list_a_link_scanned_in_the_range_that_brought_no_one(tmp_path):
    """A placement whose code is scanned but converts nobody is what a manager needs to see."""
    day = dt.datetime.fromtimestamp(fx.T0 / 1000, dt.UTC).date()
    logs = tmp_path / "logs"
    first = fx.postback(referral=fx.referral_obj("qr_tent"), psid="u1", ts=fx.T0)
    fx.write_ndjson(logs / "webhooks.ndjson", [fx.delivery(first)])
    clicks = [("qr_tent", fx.PAGE_ID)] * 4 + [("qr_receipt", fx.PAGE_ID)] * 6
    clicks += [("qr_old", fx.PAGE_ID)]  # the day before: outside the range
    (logs / "clicks.ndjson").write_bytes(
        b"".join(
            clicklog.click_line(fx.T0 - (86_400_000 if ref == "qr_old" else 1000), ref, page,
                                True, "mobile")
            for ref, page in clicks
        )
    )  # fmt: skip
    path = tmp_path / "r.duckdb"
    con = db.connect(path)
    try:
        links.register(con, [links.make_link(fx.PAGE_ID, ref, channel="qr", placement=place)
                             for ref, place in (("qr_tent", "table tent"),
                                                ("qr_receipt", "receipt"),
                                                ("qr_old", "door"))])  # fmt: skip
    finally:
        con.close()
    pipeline.run([str(logs)], path)
    with opened(path) as c:
        df = queries.refs(c, Filters(day, day)).set_index("ref")
        other_page = queries.refs(c, Filters(day, day, (fx.OTHER_PAGE_ID,), ()))
        links_only = queries.refs(c, Filters(day, day, (), ("m_me_link",)))
    cols = ["channel", "new_contacts", "scans", "placement", "registered"]
    assert df[cols].to_dict("index") == {
        "qr_tent": dict(zip(cols, ["qr_code", 1, 4, "table tent", True], strict=True)),
        "qr_receipt": dict(zip(cols, ["qr_code", 0, 6, "receipt", True], strict=True)),
    }
    assert df.loc["qr_receipt", "page_id"] == fx.PAGE_ID
    assert df.loc["qr_receipt", "contacts_per_click"] == 0
    assert other_page.empty and links_only.empty


def test_link_preview_fetchers_are_not_counted_as_clicks(tmp_path):
    """A link shared in Messenger or Slack is fetched (GET) by the preview bot: the receiver
    logs it as device `bot`, and Links & QR counts people's clicks and scans, not those."""
    day = dt.datetime.fromtimestamp(fx.T0 / 1000, dt.UTC).date()
    logs = tmp_path / "logs"
    first = fx.postback(referral=fx.referral_obj("bio"), psid="u1", ts=fx.T0)
    fx.write_ndjson(logs / "webhooks.ndjson", [fx.delivery(first)])
    preview = "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)"
    devices = ["mobile", "desktop", clicklog.device_class(preview), "bot"]
    clicks = [("bio", d) for d in devices] + [("shared_only", "bot")] * 2
    (logs / "clicks.ndjson").write_bytes(b"".join(
        clicklog.click_line(fx.T0 - 1000 - i, ref, fx.PAGE_ID, ref == "bio", device)
        for i, (ref, device) in enumerate(clicks)))  # fmt: skip
    path = tmp_path / "r.duckdb"
    con = db.connect(path)
    try:
        links.register(con, [links.make_link(fx.PAGE_ID, "bio", channel="qr"),
                             links.make_link(fx.PAGE_ID, "shared_only")])  # fmt: skip
    finally:
        con.close()
    pipeline.run([str(logs)], path)
    with opened(path) as c:
        assert c.execute("SELECT count(*) FROM clicks WHERE device = 'bot'").fetchone() == (4,)
        df = queries.refs(c, Filters(day, day)).set_index("ref")
    assert df[["new_contacts", "clicks", "scans"]].to_dict("index") == {
        "bio": {"new_contacts": 1, "clicks": 2, "scans": 2}}  # fmt: skip
    assert df.loc["bio", "contacts_per_click"] == 0.5


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


def test_meta_conversations_are_a_whole_count_in_the_downloads(small):
    """An ad without an insights row has no count: the column read 7.0 and 1.0 in the CSV,
    and as a float without a thousands format in the XLSX download."""
    df = queries.ads(small, SMALL_RANGE)
    assert pd.api.types.is_integer_dtype(df["conversations_started"])
    csv = reports.table_bytes("csv", df, "ads", SMALL_RANGE).decode()
    back = pd.read_csv(io.StringIO(csv), skiprows=1, dtype=str).set_index("ad_id")
    assert back.loc["6000000000001", "conversations_started"] == "7"
    assert pd.isna(back.loc["6000000000002", "conversations_started"])  # no insights row


def test_ads_of_a_page_include_one_that_spent_without_new_contacts(small):
    # 2023-12-01: the sourdough ad spent 99 and brought nobody in; its touches are on PAGE_ID.
    day = dt.date(2023, 12, 1)
    f = Filters(day, day, pages=(fx.PAGE_ID,))
    df = queries.ads(small, f)
    assert df[["ad_id", "new_contacts", "spend"]].values.tolist() == [["6000000000001", 0, 99.0]]
    assert queries.kpis(small, f)["spend"].iloc[0] == 99.0  # the Overview says the same


def test_ads_and_comments_are_empty_when_the_channel_filter_leaves_their_channel_out(
    small, con, filters
):
    others = Filters(SMALL_RANGE.start, SMALL_RANGE.end, channels=("m_me_link",))
    assert not queries.ads(small, SMALL_RANGE).empty and queries.ads(small, others).empty
    ads = Filters(SMALL_RANGE.start, SMALL_RANGE.end, channels=("m_me_link", "ctm_ad"))
    assert len(queries.ads(small, ads)) == len(queries.ads(small, SMALL_RANGE))
    assert not queries.comments(con, filters).empty
    assert queries.comments(con, Filters(filters.start, filters.end, channels=("ctm_ad",))).empty


def test_ads_of_a_page_keep_its_ad_contacts_whose_referral_named_no_ad(small_db):
    """The ad id is optional in a referral (facts §2): such an ad contact of the chosen page is
    still one of the page's ad contacts, as the KPIs count it."""
    ts = fx.T0 + 2 * fx.HOUR
    log = fx.write_ndjson(small_db.parent / "logs" / "no_ad_id.ndjson", [
        fx.delivery(fx.postback(referral=fx.referral_obj(None, "ADS"), psid="noad", ts=ts)),
        fx.delivery(fx.message("hi", psid="noad", ts=ts + fx.MINUTE)),
    ])  # fmt: skip
    pipeline.run([str(log)], small_db)
    with opened(small_db) as small:
        everywhere = queries.ads(small, SMALL_RANGE)
        on_page = Filters(SMALL_RANGE.start, SMALL_RANGE.end, pages=(fx.PAGE_ID,))
        df = queries.ads(small, on_page)
        kpi_contacts = 30.0 / queries.kpis(small, on_page)["cost_per_contact"].iloc[0]
    assert everywhere["new_contacts"].sum() == 6 and everywhere["ad_id"].isna().sum() == 1
    assert df["new_contacts"].sum() == round(kpi_contacts) == 6
    assert df["ad_id"].isna().sum() == 1


@pytest.mark.parametrize(
    "pages, channels, spend, per_contact",
    [
        # Spend per contact the ads brought in (5 of the 69), not per contact of any channel.
        ((), (), 37.5, 37.5 / 5),
        ((fx.PAGE_ID,), (), 30.0, 30.0 / 5),
        ((fx.OTHER_PAGE_ID,), (), None, None),
        ((), ("ctm_ad",), 37.5, 37.5 / 5),
        ((), ("m_me_link",), None, None),
    ],
    ids=["all", "page-with-ad-contacts", "page-without", "ads-channel", "channel-without-ads"],
)
def test_kpi_spend_follows_the_page_and_channel_filters(small, pages, channels, spend, per_contact):
    k = queries.kpis(small, Filters(SMALL_RANGE.start, SMALL_RANGE.end, pages, channels)).iloc[0]
    assert (num(k["spend"]), num(k["cost_per_contact"])) == (nan_or(spend), nan_or(per_contact))


def test_a_previous_period_before_the_first_pulled_spend_has_no_spend(small):
    """Half before the first day of ad insights, its spend would show a growth never made."""
    part = Filters(SMALL_RANGE.start - dt.timedelta(days=1), SMALL_RANGE.end)
    assert num(queries.kpis(small, part)["spend"].iloc[0]) == 37.5  # the period on screen
    compared = queries.kpis(small, part, True).iloc[0]
    assert pd.isna(compared["spend"]) and pd.isna(compared["cost_per_contact"])
    assert num(queries.kpis(small, SMALL_RANGE, True)["spend"].iloc[0]) == 37.5


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


def test_comments_count_comments_private_replies_and_conversations_per_post(
    con, demo_contacts, filters
):
    events = rows(
        con, "SELECT * FROM events WHERE kind IN ('comment', 'private_reply', 'message_echo')"
    )
    post_of = {
        e["comment_id"]: e["post_id"]
        for e in events
        if e["kind"] == "comment" and e["comment_id"] is not None
    }
    in_range = [e for e in events if filters.start <= e["ts"].date() <= filters.end]
    added = Counter(
        (e["page_id"], e["post_id"])
        for e in in_range
        # The page's own public replies are not comments it received.
        if e["kind"] == "comment" and e["detail"] == "add" and e["commenter_id"] != e["page_id"]
    )
    own = [e for e in in_range if e["kind"] == "comment" and e["commenter_id"] == e["page_id"]]
    assert own, "the demo's pages answer some comments publicly"
    # A reply by its send log (one Meta answered) or its echo naming the comment; the first
    # of them dates it.
    first: dict[tuple[str, str], tuple[Any, str]] = {}
    for e in events:
        sent = e["kind"] == "private_reply" and (e["psid"] or e["mid"])
        if (sent or e["kind"] == "message_echo") and e["comment_id"]:
            post = e["post_id"] or post_of.get(e["comment_id"]) or "(unknown post)"
            key = (e["page_id"], e["comment_id"])
            first[key] = min(first.get(key, (e["ts"], post)), (e["ts"], post))
    replied: dict[tuple[str, str], set[str]] = defaultdict(set)
    for (page, comment), (ts, post) in first.items():
        if filters.start <= ts.date() <= filters.end:
            replied[page, post].add(comment)
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


def test_comments_of_one_page_count_only_its_comments_replies_and_conversations(
    con, demo_contacts, filters
):
    """Each page's posts, comments, replies and conversations, with only that page chosen: the
    same rows as that page's share of the unfiltered table (none of the other page's)."""
    everyone = queries.comments(con, filters)
    pages = sorted(everyone["page_id"].unique())
    assert len(pages) == 2, pages  # the demo's two pages both get comments
    for page in pages:
        chosen = queries.comments(con, Filters(filters.start, filters.end, pages=(page,)))
        mine = everyone[everyone["page_id"] == page].reset_index(drop=True)
        assert set(chosen["page_id"]) == {page}
        assert chosen.to_dict("records") == mine.to_dict("records"), page
        conv = sum(
            1 for c in acquired(demo_contacts, filters)
            if c["channel"] == "comment_reply" and c["page_id"] == page
        )  # fmt: skip
        assert int(chosen["conversations"].sum()) == conv > 0, page


def test_comments_count_replies_known_by_echo_or_send_log_once_and_not_failed_sends(tmp_path):
    """Four comments on one post: two answered through an echo naming them (no send log), one
    by send log and echo, one whose send Meta refused; the first answer writes back."""
    post, ts = f"{fx.PAGE_ID}_777", fx.T0
    ids = [f"777_{n}" for n in (1, 2, 3, 4)]
    failed = fx.send_log(ids[2], None, ts=ts + 3000)
    failed["response"] = {"error": {"message": "(#10900) Activity already replied to",
                                    "code": 10900}}  # fmt: skip
    lines = [
        fx.feed(
            *(fx.comment(comment_id=c, post_id=post, from_id=f"1000{n}") for n, c in enumerate(ids))
        ),  # fmt: skip
        fx.delivery(fx.private_reply_echo(ids[0], psid="a", ts=ts + 1000)),
        fx.delivery(fx.message("yes please", psid="a", ts=ts + 60_000)),
        fx.send_log(ids[1], "b", ts=ts + 2000),
        fx.delivery(fx.private_reply_echo(ids[1], psid="b", ts=ts + 2500, mid="m_reply_777_2")),
        failed,
        fx.delivery(fx.private_reply_echo(ids[3], psid="d", ts=ts + 4000)),
    ]
    path = tmp_path / "comments.duckdb"
    pipeline.run([str(fx.write_ndjson(tmp_path / "webhooks.ndjson", lines))], path)
    con = db.connect(path)
    try:
        day = fx.utc(ts).date()
        (row,) = queries.comments(con, Filters(day, day)).to_dict("records")
    finally:
        con.close()
    assert (row["post_id"], row["comments"], row["private_replies"], row["conversations"]) == (
        post, 4, 3, 1)  # fmt: skip
    assert row["reply_rate"] == 1 / 3


def test_the_reply_rate_is_the_share_of_the_ranges_replies_that_opened_a_conversation(tmp_path):
    """Contact a was replied to on day 0 and wrote back on day 2; b commented, got its reply
    and wrote back on day 2. Day 2 opened two conversations (as Overview counts them) but sent
    one reply, which opened one: 100%, not 200%. Day 0's reply opened one too."""
    post, day0, day2 = f"{fx.PAGE_ID}_777", fx.T0, fx.T0 + 2 * fx.DAY
    lines = [
        fx.feed(fx.comment(comment_id="777_1", post_id=post, created_time=day0 // 1000)),
        fx.send_log("777_1", "a", ts=day0 + 1000),
        fx.delivery(fx.message("hi", psid="a", ts=day2 + 500)),
        fx.feed(
            fx.comment(
                comment_id="777_2", post_id=post, from_id="10002", created_time=day2 // 1000
            ),
            time=day2 // 1000,
        ),  # fmt: skip
        fx.send_log("777_2", "b", ts=day2 + 1000),
        fx.delivery(fx.message("hello", psid="b", ts=day2 + 2000)),
    ]
    path = tmp_path / "comments.duckdb"
    pipeline.run([str(fx.write_ndjson(tmp_path / "webhooks.ndjson", lines))], path)
    con = db.connect(path)
    try:
        rows = {d: queries.comments(con, Filters(d, d)).to_dict("records")
                for d in (fx.utc(day0).date(), fx.utc(day2).date())}  # fmt: skip
    finally:
        con.close()
    (first,), (third,) = rows.values()
    assert (first["private_replies"], first["conversations"], first["reply_rate"]) == (1, 0, 1)
    assert (third["private_replies"], third["conversations"], third["reply_rate"]) == (1, 2, 1)


def test_scans_are_the_clicks_through_the_qr_code_only(tmp_path):
    """A link's clicks are every visit of /r/<ref>; its scans only those the receiver logged as
    coming from the QR code: the same link shared as a URL is no scan of the printed code."""
    day = dt.datetime.fromtimestamp(fx.T0 / 1000, dt.UTC).date()
    logs = tmp_path / "logs"
    first = fx.postback(referral=fx.referral_obj("menu"), psid="u1", ts=fx.T0)
    fx.write_ndjson(logs / "webhooks.ndjson", [fx.delivery(first)])
    (logs / "clicks.ndjson").write_bytes(b"".join(
        clicklog.click_line(fx.T0 - 1000 - i, "menu", fx.PAGE_ID, qr, "mobile")
        for i, qr in enumerate([True, True, True, False, False])))  # fmt: skip
    path = tmp_path / "r.duckdb"
    con = db.connect(path)
    try:
        links.register(con, [links.make_link(fx.PAGE_ID, "menu", channel="qr")])
    finally:
        con.close()
    pipeline.run([str(logs)], path)
    with opened(path) as c:
        df = queries.refs(c, Filters(day, day)).set_index("ref")
    assert df.loc["menu", ["new_contacts", "clicks", "scans"]].tolist() == [1, 5, 3]


def test_ads_with_as_many_contacts_list_the_bigger_spender_first(small_db):
    """Ads sort by new contacts, then by spend: among those that brought no one, the report's
    top rows are the ones that cost most, not the cheapest."""
    con = db.connect(small_db)
    try:
        con.execute(
            """INSERT INTO ad_insights (date, ad_id, ad_name, spend, conversations_started)
               VALUES ('2023-11-16', '6000000000004', 'Rye', 3.0, 0),
                      ('2023-11-16', '6000000000005', 'Baguette', 12.0, 0)"""
        )
    finally:
        con.close()
    with opened(small_db) as small:
        df = queries.ads(small, SMALL_RANGE)
    unbringing = df[df["new_contacts"] == 0]
    assert list(unbringing["ad_id"]) == ["6000000000005", "6000000000003", "6000000000004"]
    assert list(unbringing["spend"]) == [12.0, 7.5, 3.0]
