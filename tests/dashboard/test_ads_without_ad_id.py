"""Ad contacts whose referral named no ad (source ADS without an ad_id, as a Get Started
from an ad may come) on the Ads page: a named bar and row, never dropped or blank."""

from __future__ import annotations

from pathlib import Path

import pytest

from dashboard import queries
from dashboard.filters import UNKNOWN_AD, ContactPick
from ingest import pipeline
from tests import factories as fx
from tests.dashboard.conftest import SMALL_RANGE, ad_contact_lines, opened
from tests.dashboard.screen import numbers, plotly_specs, show

AD_ID = "6000000000001"


def build(path: Path, referral_title: str | None) -> None:
    """Two contacts of ad AD_ID ("Winter promo"), three whose ADS referral has no ad_id (the
    last carrying the ad's title in ads_context_data when referral_title is given)."""
    lines: list[fx.Json] = []
    for n in range(5):
        psid, ts = f"73{n:014d}", fx.T0 + n * fx.MINUTE
        if n < 2:
            ref = fx.ads_referral(ad_id=AD_ID, ad_title="Winter promo")
        elif n == 4 and referral_title:
            ref = fx.referral_obj(None, "ADS", ads_context_data={"ad_title": referral_title})
        else:
            ref = fx.referral_obj(None, "ADS")
        lines.append(fx.delivery(fx.postback(referral=ref, psid=psid, ts=ts)))
        lines.append(fx.delivery(fx.message("hi", psid=psid, ts=ts + 1000)))
    log = fx.write_ndjson(path.parent / "logs" / "webhooks.ndjson", lines)
    pipeline.run([str(log)], path)


@pytest.mark.parametrize("referral_title", [None, "Winter promo"], ids=["untitled", "same-title"])
def test_every_ad_contact_has_a_named_bar_and_row(open_app, db_path, query, referral_title):
    build(db_path, referral_title)
    assert query.scalar("SELECT count(*) FROM contacts WHERE channel = 'ctm_ad'") == 5
    at = show(open_app(db_path), "ads")
    (spec,) = [s for s in plotly_specs(at) if "Contacts per ad" in str(s["layout"]["title"])]
    bars = spec["data"][0]  # new contacts
    assert all(isinstance(x, str) and x for x in bars["x"]), bars["x"]
    assert sum(numbers(bars["y"])) == 5  # none dropped
    titles = list(at.dataframe[0].value["ad_title"])
    assert all(isinstance(t, str) and t for t in titles), titles
    if referral_title is None:
        assert "(unknown ad)" in titles


def test_an_ad_whose_referrals_carry_an_empty_title_is_named_by_its_insights(
    open_app, db_path, execute
):
    """ads_context_data with "ad_title": "" (an ad without a headline) is no title: the ad is
    named as the insights name it, on the Ads page and on Contacts, never a blank bar or row."""
    lines = ad_contact_lines(AD_ID, "", 2, "74")
    pipeline.run([str(fx.write_ndjson(db_path.parent / "logs" / "a.ndjson", lines))], db_path)
    execute("INSERT INTO ad_insights (date, ad_id, ad_name, spend) VALUES (?, ?, 'Winter promo', "
            "5.0)", fx.utc(fx.T0).date(), AD_ID)  # fmt: skip
    at = show(open_app(db_path), "ads")
    (spec,) = [s for s in plotly_specs(at) if "Contacts per ad" in str(s["layout"]["title"])]
    assert list(spec["data"][0]["x"]) == ["Winter promo"]
    assert list(at.dataframe[0].value["ad_title"]) == ["Winter promo"]
    at = show(open_app(db_path), "contacts")
    assert set(at.dataframe[0].value["ad_title"]) == {"Winter promo"}


@pytest.mark.parametrize("referral_title", [None, "Winter promo"], ids=["untitled", "same-title"])
def test_contacts_picks_the_ad_contacts_whose_referral_named_no_ad(
    open_app, db_path, referral_title
):
    """The Ads page's row of the contacts whose ADS referral had no ad_id (3 here) had no
    choice in the Contacts page's Ad picker: the rows behind that figure could not be listed."""
    build(db_path, referral_title)
    ads = show(open_app(db_path), "ads").dataframe[0].value
    (unknown,) = ads.loc[ads["ad_id"].isna(), "new_contacts"]
    with opened(db_path) as con:
        rows = queries.contact_rows(con, SMALL_RANGE, "", ContactPick(ad_id=UNKNOWN_AD))
    assert len(rows) == unknown and rows["ad_id"].isna().all()
    at = show(open_app(db_path), "contacts")
    pick = at.selectbox(key="rs_pick_ad_id")
    # Named as the Ads page names that row, also when one of its referrals carried a title.
    assert pick.options == ["any", "(unknown ad)", f"Winter promo ({AD_ID})"]
    pick.set_value("(unknown ad)").run()
    assert not at.exception
    df = at.dataframe[0].value
    assert len(df) == unknown == 3 and df["ad_id"].isna().all()
    at.selectbox(key="rs_pick_ad_id").set_value(AD_ID).run()
    assert len(at.dataframe[0].value) == 2
