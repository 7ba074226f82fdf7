"""The Ads page's queries against real databases: contacts per ad, spend from the insights in range,
its order and downloads, and the spend KPIs under the page and channel filters."""

from __future__ import annotations

import datetime as dt
import io

import pandas as pd
import pytest

from dashboard import queries, reports
from dashboard.filters import Filters
from ingest import db, pipeline, retention
from tests import factories as fx
from tests.dashboard.conftest import ADS, SMALL_RANGE, opened
from tests.dashboard.reference import Row, acquired, nan_or, num


def test_ads_count_contacts_per_ad_without_insights(con, demo_contacts, filters):
    want: dict[str, Row] = {}
    for c in acquired(demo_contacts, filters):
        if c["channel"] == "ctm_ad":
            w = want.setdefault(c["ad_id"], {"new": 0, "engaged": 0})
            w["new"] += 1
            w["engaged"] += c["second_message_at"] is not None
    # An ad goes by the headline of its newest contact's referral, whenever it came.
    titled = sorted((c for c in demo_contacts if c["ad_id"] and c["ad_title"]),
                    key=lambda c: c["first_seen_at"])  # fmt: skip
    titles = {c["ad_id"]: c["ad_title"] for c in titled}
    df = queries.ads(con, filters)
    assert len(df) == len(want) > 1
    for r in df.to_dict("records"):
        w = want[r["ad_id"]]
        assert (r["new_contacts"], r["engaged"]) == (w["new"], w["engaged"])
        assert r["ad_title"] == titles.get(r["ad_id"], r["ad_id"])
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


def test_no_cost_per_ad_contact_for_a_range_wholly_before_a_prune(tmp_path):
    """The KPIs know no contact figures for a range the data starts after (a prune removed its
    contacts but those active since): its cost per ad contact divided 100.00 by the 2 of 10
    ad contacts left, 50.00, beside "no data" for the contacts. Its spend is known still."""
    ad, day = "120212345678901234", fx.utc(fx.T0).date()
    lines: list[fx.Json] = []
    for n in range(10):
        psid, ts = f"71{n:014d}", fx.T0 + n * fx.MINUTE
        lines.append(fx.delivery(fx.postback(referral=fx.ads_referral(ad_id=ad), psid=psid, ts=ts)))
        lines.append(fx.delivery(fx.message("hi", psid=psid, ts=ts + fx.MINUTE)))
        if n < 2:  # active after the prune: kept
            lines.append(fx.delivery(fx.message("again", psid=psid, ts=ts + 5 * fx.DAY)))
    spend = {"data": [{"date_start": str(day), "date_stop": str(day), "ad_id": ad,
                       "spend": "100.00"}]}  # fmt: skip
    path = tmp_path / "pruned.duckdb"
    log = fx.write_ndjson(tmp_path / "logs" / "w.ndjson", [*lines, spend])
    pipeline.run([str(log)], path)
    con = db.connect(path)
    try:
        f = Filters(day, day)
        before = queries.kpis(con, f).iloc[0]
        assert (before["new_contacts"], before["spend"], before["cost_per_contact"]) == (
            10,
            100,
            10,
        )
        retention.prune(con, day + dt.timedelta(days=2))
        after = queries.kpis(con, f).iloc[0]
        assert pd.isna(after["new_contacts"]) and after["spend"] == 100
        assert pd.isna(after["cost_per_contact"])
    finally:
        con.close()
