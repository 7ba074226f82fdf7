"""Ad spend of days a pull asked for and Meta sent no row for (it leaves out a day without
delivery): the ads spent nothing then, which the KPIs and reports say as 0.00, not as "no data"."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import openpyxl
import pandas as pd

from dashboard import queries, reports
from dashboard.filters import Filters
from ingest import db, pipeline
from tests import factories as fx
from tests.dashboard.conftest import SMALL_RANGE, opened
from tests.dashboard.report_setup import rows
from tests.dashboard.screen import show

PAUSED = Filters(dt.date(2023, 11, 23), dt.date(2023, 11, 29))  # pulled, no insight rows
AFTER = Filters(dt.date(2023, 11, 30), dt.date(2023, 12, 6))  # its previous period is PAUSED


def _write(path: Path, *statements: str) -> None:
    """Run statements on the database, as a command writing it would."""
    con = db.connect(path)
    try:
        for sql in statements:
            con.execute(sql)
    finally:
        con.close()


def _pulled(path: Path) -> None:
    """One pull asked for 2023-11-14 – 2023-12-01 (the small database's insights' days)."""
    _write(path, "INSERT INTO ad_pulls VALUES ('act_1', '2023-11-14', '2023-12-01', now())")


def _pulled_without_the_contacts_days(path: Path) -> None:
    """_pulled, with no insight row on the ad contacts' days (2023-11-14/15): the ads paused."""
    _pulled(path)
    _write(path, "DELETE FROM ad_insights WHERE date <= '2023-11-15'")


def test_a_pulled_week_without_insight_rows_spent_nothing_and_compares(small_db):
    _pulled(small_db)
    assert AFTER.previous() == PAUSED
    with opened(small_db) as c:
        assert queries.kpis(c, PAUSED)["spend"].iloc[0] == 0.0
        assert queries.kpis(c, PAUSED, True)["spend"].iloc[0] == 0.0  # as a previous period
        report = reports.gather(reports.connection_fetch(c), AFTER)
    spend = next(k for k in report.kpis if k.key == "spend")
    assert (spend.value, spend.previous) == (99.0, 0.0)
    row = reports.kpi_table(report).set_index("Metric").loc["Ad spend"]
    assert (row["Previous period"], row["Change"]) == ("0.00", "+99.00")


def test_spend_stays_unknown_outside_the_pulled_days_and_without_the_ads_channel(small_db):
    _pulled(small_db)
    before = Filters(dt.date(2023, 10, 1), dt.date(2023, 10, 7))
    no_ads = Filters(PAUSED.start, PAUSED.end, (), ("qr_code",))
    with opened(small_db) as c:
        for f in (before, no_ads):
            k = queries.kpis(c, f).iloc[0]
            assert pd.isna(k["spend"]) and pd.isna(k["cost_per_contact"]), f


def test_ads_that_brought_contacts_on_pulled_days_without_spend_are_not_called_unloaded(
    small_db,
):
    _pulled_without_the_contacts_days(small_db)
    day = Filters(dt.date(2023, 11, 14), dt.date(2023, 11, 14))  # the ad contacts' day
    with opened(small_db) as c:
        assert queries.kpis(c, day)["spend"].iloc[0] == 0.0
        report = reports.gather(reports.connection_fetch(c), day)
    ads = report.section("ads")
    assert not ads.empty
    assert "No ad spend loaded" not in ads.note, ads.note
    assert "hold no spend in this range" in ads.note, ads.note


def test_a_range_wholly_between_two_pulls_has_no_spend_known(small_db):
    """Days no pull asked for (a gap between two pulls) are no days without delivery: a range
    of them alone has spend unknown, not 0.00, though it lies between the first and last
    pulled day."""
    _write(
        small_db,
        "INSERT INTO ad_pulls VALUES ('act_1', '2023-11-14', '2023-11-20', now())",
        "INSERT INTO ad_pulls VALUES ('act_1', '2023-11-27', '2023-12-01', now())",
    )
    gap = Filters(dt.date(2023, 11, 22), dt.date(2023, 11, 25))
    # Pulled days without rows, then the gap: 0.00 over the pulled days (the gap is said apart).
    across = Filters(dt.date(2023, 11, 19), dt.date(2023, 11, 22))
    with opened(small_db) as c:
        k = queries.kpis(c, gap).iloc[0]
        assert pd.isna(k["spend"]) and pd.isna(k["cost_per_contact"])
        assert queries.kpis(c, across)["spend"].iloc[0] == 0.0


def test_the_ads_page_says_the_pulled_insights_hold_no_spend(open_app, small_db):
    """The Overview says 0.00 for such a range: the Ads page says why its cost figures are
    missing, not that the ad spend is yet to be loaded."""
    _pulled_without_the_contacts_days(small_db)
    day = {"from": "2023-11-14", "to": "2023-11-14"}
    at = show(open_app(small_db, range="Custom", **day), "ads")
    notes = [i.value for i in at.info]
    assert notes == ["The pulled ad insights hold no spend in this range: Meta sends no row for "
                     "a day an ad did not run, so these ads spent nothing."], notes  # fmt: skip


def test_a_paused_ad_beside_one_that_spent_spent_nothing_not_an_unknown_sum(small_db):
    """Pulled days: the sourdough ad (known to the insights) has no row on its contacts' days
    while the bagels ad spent. Its spend is 0.00 on the Ads page and in the reports, as the
    KPIs' sum says, not "—"; an ad no insight row ever names (its account may be unpulled) stays
    unknown."""
    _pulled(small_db)
    _write(small_db, "DELETE FROM ad_insights WHERE ad_id = '6000000000001' "
                     "AND date <= '2023-11-15'")  # fmt: skip
    with opened(small_db) as c:
        df = queries.ads(c, SMALL_RANGE).set_index("ad_id")
        assert queries.kpis(c, SMALL_RANGE)["spend"].iloc[0] == 7.5
        report = reports.gather(reports.connection_fetch(c), SMALL_RANGE)
    sourdough = df.loc["6000000000001"]
    assert (sourdough["new_contacts"], sourdough["spend"]) == (4, 0.0)
    assert (sourdough["cost_per_contact"], sourdough["cost_per_engaged"]) == (0.0, 0.0)
    assert sourdough["conversations_started"] == 0
    assert pd.isna(df.loc["6000000000002", "spend"])  # the croissant ad: never in the insights
    assert df.loc["6000000000003", "spend"] == 7.5
    assert df["spend"].sum() == 7.5
    ads = report.section("ads").table.set_index("ad_id")
    assert ads.loc["6000000000001", "spend"] == 0.0
    book = openpyxl.load_workbook(io.BytesIO(reports.render(report, "xlsx")))
    sheet = {r["Ad id"]: r for r in rows(book["Ads"])}
    assert sheet["6000000000001"]["Spend"] == 0
    assert sheet["6000000000002"]["Spend"] is None


def test_a_page_none_of_whose_ads_the_insights_know_has_no_spend_loaded(small_db, tmp_path):
    """The pulls cover the range, but no insight row names the ads of the page chosen: its
    ad spend is unknown ("—" in the KPIs, as on the Ads page), and the report's Ads section
    says no spend is loaded, not that the pulled insights hold none."""
    _pulled(small_db)
    ad = fx.ads_referral(ad_id="6000000000009", ad_title="Espresso",
                         post_id=f"{fx.OTHER_PAGE_ID}_1")  # fmt: skip
    first = fx.postback(referral=ad, psid="7300000000000001", page_id=fx.OTHER_PAGE_ID)
    log = fx.write_ndjson(tmp_path / "other" / "webhooks.ndjson", [
        fx.delivery(first, page_id=fx.OTHER_PAGE_ID),
        fx.delivery(fx.message("hi", psid="7300000000000001", page_id=fx.OTHER_PAGE_ID,
                               ts=fx.T0 + fx.MINUTE), page_id=fx.OTHER_PAGE_ID),
    ])  # fmt: skip
    pipeline.run([str(log)], small_db)
    f = Filters(SMALL_RANGE.start, SMALL_RANGE.end, (fx.OTHER_PAGE_ID,))
    with opened(small_db) as c:
        assert pd.isna(queries.kpis(c, f)["spend"].iloc[0])
        report = reports.gather(reports.connection_fetch(c), f)
    ads = report.section("ads")
    assert list(ads.table["ad_id"]) == ["6000000000009"]
    assert ads.note == "No ad spend loaded for this range.", ads.note


def test_an_ad_of_an_account_not_pulled_for_the_range_has_no_spend_known(small_db):
    """Each ad account is pulled on its own: the sourdough ad's account (act_2) was pulled from
    2023-11-21 only, so in the week of its contacts its spend is unknown, though act_1's pull
    covers those days and the bagels ad spent then."""
    _write(
        small_db,
        "INSERT INTO ad_pulls VALUES ('act_1', '2023-11-14', '2023-12-01', now())",
        "INSERT INTO ad_pulls VALUES ('act_2', '2023-11-21', '2023-12-01', now())",
        "DELETE FROM ad_insights WHERE ad_id = '6000000000001' AND date <= '2023-11-15'",
        "UPDATE ad_insights SET account_id = 'act_2' WHERE ad_id = '6000000000001'",
        "UPDATE ad_insights SET account_id = 'act_1' WHERE ad_id = '6000000000003'",
    )
    with opened(small_db) as c:
        df = queries.ads(c, SMALL_RANGE).set_index("ad_id")
        assert queries.kpis(c, SMALL_RANGE)["spend"].iloc[0] == 7.5
    assert df.loc["6000000000001", "new_contacts"] == 4
    assert pd.isna(df.loc["6000000000001", "spend"])
    assert pd.isna(df.loc["6000000000001", "cost_per_contact"])
    assert df.loc["6000000000003", "spend"] == 7.5


def test_an_ads_section_without_rows_says_which_days_the_insights_cover(small_db):
    """A range with no ad contact and none of its days pulled has no spend known (the KPI's
    "—"): its empty Ads section said "No Click-to-Messenger contacts or ad spend in this range"
    in the HTML and PDF reports and on the XLSX sheet, the coverage note left out of them."""
    _write(small_db, "DELETE FROM ad_insights WHERE date < '2023-12-01'")
    day = Filters(dt.date(2023, 11, 15), dt.date(2023, 11, 15))  # a re-entry, no ad contact
    with opened(small_db) as c:
        assert pd.isna(queries.kpis(c, day)["spend"].iloc[0])
        report = reports.gather(reports.connection_fetch(c), day)
    assert report.section("ads").empty
    said = ("No Click-to-Messenger contacts in 2023-11-15 – 2023-11-15 (pages: all, channels: "
            "all). Ad insights are pulled for 2023-12-01 – 2023-12-01, none of this range: it "
            "counts no ad spend.")  # fmt: skip
    html = reports.render(report, "html").decode()
    assert said in html and "or ad spend in this range" not in html
    book = openpyxl.load_workbook(io.BytesIO(reports.render(report, "xlsx")))
    assert book["Ads"]["A2"].value == said
