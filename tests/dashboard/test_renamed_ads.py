"""An ad renamed between days (its name in the insights, or its headline in the referrals) goes
by its latest name on the Ads page and in the Contacts rows, not by whichever sorts last."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from dashboard import queries
from dashboard.filters import Filters
from ingest import db, pipeline
from tests import factories as fx
from tests.dashboard.screen import show

SILENT, WINTER = "120200000000000001", "120200000000000002"
DAY = fx.utc(fx.T0).date()


def _row(day: dt.date, ad: str, name: str, spend: str) -> fx.Json:
    return {"date_start": str(day), "date_stop": str(day), "account_id": "555", "ad_id": ad,
            "ad_name": name, "spend": spend, "account_currency": "USD"}  # fmt: skip


def _database(tmp_path: Path) -> Path:
    later = DAY + dt.timedelta(days=1)
    old, new = (
        fx.ads_referral(ad_id=WINTER, ad_title=t) for t in ("Warm coats", "Coats for winter")
    )
    lines: list[fx.Json] = [
        # Renamed from "Winter promo v1" to "Winter promo - final" (sorts before it) the next
        # day; its headline likewise, from "Warm coats" to "Coats for winter".
        fx.delivery(fx.message("hi", psid="71000000000001", ts=fx.T0, referral=old)),
        fx.delivery(fx.message("hi", psid="71000000000002", ts=fx.T0 + fx.DAY, referral=new)),
        {"data": [_row(DAY, WINTER, "Winter promo v1", "10.50"),
                  _row(DAY, SILENT, "Silent ad", "4.00")]},
        {"data": [_row(later, WINTER, "Winter promo - final", "7.25"),
                  _row(later, SILENT, "Another silent ad", "1.00")]},
    ]  # fmt: skip
    path = tmp_path / "renamed.duckdb"
    pipeline.run([str(fx.write_ndjson(tmp_path / "logs" / "w.ndjson", lines))], path)
    return path


def test_a_renamed_ad_goes_by_its_latest_name(tmp_path):
    con = db.connect(_database(tmp_path), read_only=True)
    try:
        queries.install_macros(con)
        f = Filters(DAY, DAY + dt.timedelta(days=1))
        ads = queries.ads(con, f).set_index("ad_id")
        rows = queries.contact_rows(con, f).set_index("psid")
        first_day = queries.ads(con, Filters(DAY, DAY)).set_index("ad_id")
    finally:
        con.close()
    # No contact of its own: its name in the insights, the latest day's.
    assert ads.loc[SILENT, ["ad_title", "spend"]].tolist() == ["Another silent ad", 5.0]
    # Its contacts' headline, the latest one's (the newer contact's referral).
    assert ads.loc[WINTER, ["ad_title", "new_contacts", "spend"]].tolist() == [
        "Coats for winter", 2, 17.75]  # fmt: skip
    # A range before the rename still names the ad as it is called now, as Ads Manager does.
    assert first_day.loc[SILENT, "ad_title"] == "Another silent ad"
    assert first_day.loc[WINTER, "ad_title"] == "Coats for winter"
    # A contact keeps the headline its own referral carried.
    assert rows.loc["71000000000001", "ad_title"] == "Warm coats"


def test_the_contacts_ad_picker_names_a_renamed_ad_as_the_ads_page_does(tmp_path, open_app):
    """The Ad picker named an ad by the headline of the range's newest contact: on the day
    before the rename, "Warm coats" there and "Coats for winter" on the Ads page. It names it
    as the Ads page does now, whatever the range; a contact's row keeps its own headline."""
    path = _database(tmp_path)
    con = db.connect(path, read_only=True)
    try:
        queries.install_macros(con)
        named = queries.ad_titles(con).set_index("ad_id")["ad_title"].to_dict()
        for f in (Filters(DAY, DAY), Filters(DAY, DAY + dt.timedelta(days=1))):
            ads = queries.ads(con, f)
            assert dict(zip(ads["ad_id"], ads["ad_title"], strict=True)) == named
    finally:
        con.close()
    assert named == {SILENT: "Another silent ad", WINTER: "Coats for winter"}
    at = show(open_app(path, range="Custom", **{"from": str(DAY), "to": str(DAY)}), "contacts")
    assert at.selectbox(key="rs_pick_ad_id").options == ["any", f"Coats for winter ({WINTER})"]
    assert list(at.dataframe[0].value["ad_title"]) == ["Warm coats"]
