"""The product a contact came through (contacts.product_id: a Shops product page's message, or
the product a Click-to-Messenger ad showed) on the dashboard: the Overview's new contacts per
product, shown only when some contact of the range has one, and the Contacts page's column and
downloads. A database an older refscope wrote, without the column, opens as before.
https://developers.facebook.com/documentation/business-messaging/messenger-platform/webhooks/webhook-events/messages
"""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from dashboard import queries, reports
from dashboard.filters import Filters
from ingest import pipeline
from tests import factories as fx
from tests.dashboard.conftest import SMALL_RANGE, opened
from tests.dashboard.screen import headers, show
from tests.ingest.test_product_ids import _as_older_refscope_stored
from tests.test_docs import README

SHOE, BIG, AD_PRODUCT = "4489216584501234", "44892165845012345678", "1200345"
FROM_TO = {"range": "Custom", "from": str(SMALL_RANGE.start), "to": str(SMALL_RANGE.end)}
PRODUCTS_TITLE = "New contacts per product"


def _shop(psid: str, product: str, ts: int) -> fx.Json:
    """A message sent from a Shops product page."""
    return fx.delivery(
        fx.message("in stock?", psid=psid, ts=ts, referral={"product": {"id": product}})
    )


def _again(psid: str, ts: int) -> fx.Json:
    return fx.delivery(fx.message("and the price?", psid=psid, ts=ts + fx.MINUTE))


def _lines() -> list[fx.Json]:
    ad = fx.ads_referral(ad_id="6000000000001", ad_title="Sneakers")
    ad["ads_context_data"]["product_id"] = AD_PRODUCT
    t = fx.T0
    return [
        _shop("s1", SHOE, t), _again("s1", t),  # engaged
        _shop("s2", SHOE, t + fx.MINUTE),
        _shop("s3", BIG, t + 2 * fx.MINUTE),
        fx.delivery(fx.message("I want these", psid="a1", ts=t + 3 * fx.MINUTE, referral=ad)),
        _again("a1", t + 3 * fx.MINUTE),
        # The same product through its ad: a row of its own channel.
        fx.delivery(fx.message("hi", psid="a2", ts=t + 4 * fx.MINUTE, referral={
            **ad, "ads_context_data": {**ad["ads_context_data"], "product_id": SHOE}})),
        fx.delivery(fx.message("hi", psid="a3", ts=t + 5 * fx.MINUTE,
                               referral=fx.ads_referral(ad_id="6000000000002"))),  # no product
        # Organic first, then a product page: a re-entry, not the product that brought it.
        fx.delivery(fx.message("hello", psid="o1", ts=t)),
        _shop("o1", "777", t + fx.HOUR),
        _shop("late", "999", t + 30 * fx.DAY),  # after the range
    ]  # fmt: skip


@pytest.fixture
def product_db(tmp_path: Path) -> Path:
    path = tmp_path / "products.duckdb"
    pipeline.run([str(fx.write_ndjson(tmp_path / "logs" / "webhooks.ndjson", _lines()))], path)
    return path


def test_products_count_the_new_contacts_each_product_brought_per_channel(product_db):
    with opened(product_db) as con:
        df = queries.products(con, SMALL_RANGE)
        assert df.to_dict("records") == [
            {"product_id": SHOE, "channel": "other", "new_contacts": 2, "engaged": 1,
             "engaged_rate": 0.5},
            {"product_id": AD_PRODUCT, "channel": "ctm_ad", "new_contacts": 1, "engaged": 1,
             "engaged_rate": 1.0},
            {"product_id": SHOE, "channel": "ctm_ad", "new_contacts": 1, "engaged": 0,
             "engaged_rate": 0.0},
            {"product_id": BIG, "channel": "other", "new_contacts": 1, "engaged": 0,
             "engaged_rate": 0.0},
        ]  # fmt: skip
        # The filters narrow it as every figure: a channel, a range without such contacts.
        ads_only = Filters(SMALL_RANGE.start, SMALL_RANGE.end, channels=("ctm_ad",))
        assert queries.products(con, ads_only)["product_id"].tolist() == [AD_PRODUCT, SHOE]
        organic = Filters(SMALL_RANGE.start, SMALL_RANGE.end, channels=("organic",))
        assert queries.products(con, organic).empty
        later = Filters(SMALL_RANGE.end, SMALL_RANGE.end + dt.timedelta(days=30))
        assert queries.products(con, later)["product_id"].tolist() == ["999"]
        rows = queries.contact_rows(con, SMALL_RANGE).set_index("psid")["product_id"]
        assert {k: None if pd.isna(v) else v for k, v in rows.items()} == {
            "s1": SHOE, "s2": SHOE, "s3": BIG, "a1": AD_PRODUCT, "a2": SHOE, "a3": None, "o1": None
        }  # fmt: skip


def test_the_overview_and_contacts_pages_show_each_contacts_product(open_app, product_db):
    at = show(open_app(product_db, **FROM_TO), "overview")
    assert PRODUCTS_TITLE in [s.value for s in at.subheader]
    channels, products = at.dataframe
    assert headers(at, 1) == ["Product id", "Channel", "New contacts", "Engaged", "Engaged rate"]
    assert products.value["product_id"].tolist() == [SHOE, AD_PRODUCT, SHOE, BIG]
    assert "download-products-xlsx" in [b.key for b in at.get("download_button")]
    at = show(open_app(product_db, **FROM_TO), "contacts")
    assert headers(at).index("Product id") == headers(at).index("Ad") + 1
    shown = at.dataframe[0].value.set_index("psid")["product_id"]
    assert shown[["s3", "a1"]].tolist() == [BIG, AD_PRODUCT] and pd.isna(shown["a3"])


def test_the_contacts_search_finds_the_contacts_a_product_brought(open_app, product_db):
    """A product id typed in the search finds its contacts, as any text the id holds: the
    shoe's id is the start of the 20-digit one, whose contact s3 it finds too."""
    with opened(product_db) as con:
        found = {p: set(queries.contact_rows(con, SMALL_RANGE, p)["psid"])
                 for p in (SHOE, BIG, AD_PRODUCT, "777")}  # fmt: skip
    assert found[SHOE] == {"s1", "s2", "a2", "s3"} and found[BIG] == {"s3"}
    assert found[AD_PRODUCT] == {"a1"}
    assert found["777"] == set()  # o1's re-entry product is not the one that brought it
    at = show(open_app(product_db, **FROM_TO), "contacts")
    at.text_input(key="rs_contacts_search").input(f" {BIG} ").run()
    assert not at.exception, [e.message for e in at.exception]
    assert at.dataframe[0].value["psid"].tolist() == ["s3"]


def test_the_contacts_search_finds_a_product_id_of_letters_in_any_case(tmp_path):
    """A product id is stored as it came (README, The SQL contract): one of letters is found
    typed in any case, as the search finds a ref or an ad title."""
    log = fx.write_ndjson(tmp_path / "logs" / "webhooks.ndjson", [_shop("s1", "SKU-Shoe-9", fx.T0)])
    path = tmp_path / "letters.duckdb"
    pipeline.run([str(log)], path)
    with opened(path) as con:
        found = {p: set(queries.contact_rows(con, SMALL_RANGE, p)["psid"])
                 for p in ("SKU-Shoe-9", "sku-shoe", "SHOE-9")}  # fmt: skip
    assert found == {"SKU-Shoe-9": {"s1"}, "sku-shoe": {"s1"}, "SHOE-9": {"s1"}}


def test_a_range_whose_contacts_came_through_no_product_shows_no_products_table(
    open_app, product_db
):
    day = str(SMALL_RANGE.start)
    at = show(open_app(product_db, channel="organic", range="Custom", **{"from": day, "to": day}),
              "overview")  # fmt: skip
    assert [s.value for s in at.subheader if s.value == PRODUCTS_TITLE] == []
    assert len(at.dataframe) == 1  # the channels' table alone
    assert "download-products-csv" not in [b.key for b in at.get("download_button")]


def test_a_contacts_download_holds_each_product_id_whole(product_db):
    """A product id is a catalogue's, often longer than 15 digits: the XLSX cell is text, and
    the CSV read back as the README says keeps it (without product_id in its dtype, pandas
    read the id as a number)."""
    with opened(product_db) as con:
        rows = queries.contact_rows(con, SMALL_RANGE)
    book = openpyxl.load_workbook(io.BytesIO(reports.table_bytes("xlsx", rows, "contacts", None)))
    sheet = book["contacts"]
    names = [c.value for c in sheet[1]]
    psid, column = names.index("psid"), names.index("product_id")
    cells = {r[psid].value: r[column] for r in sheet.iter_rows(min_row=2)}
    assert (cells["s3"].value, cells["s3"].data_type) == (BIG, "s")
    csv_bullet = " ".join(README.split()).split("- CSV: a first line", 1)[1].split(" - XLSX:")[0]
    call = re.search(r"`(pandas\.read_csv\(path[^`]*\))`", csv_bullet)
    assert call, csv_bullet
    data = reports.table_csv(rows, "contacts", SMALL_RANGE)
    back = eval(call.group(1), {"pandas": pd, "path": io.BytesIO(data)})  # the README's own line
    assert back.set_index("psid")["product_id"].to_dict()["s3"] == BIG
    assert back.set_index("psid")["product_id"].isna().to_dict()["a3"]


def test_a_database_from_before_product_ids_opens_its_pages_read_only(open_app, product_db):
    _as_older_refscope_stored(product_db)  # events, touches, contacts, contact_history
    before = product_db.read_bytes()
    with opened(product_db) as con:
        assert queries.products(con, SMALL_RANGE).empty
        rows = queries.contact_rows(con, SMALL_RANGE)
        assert len(rows) == 7 and rows["product_id"].isna().all()
    at = show(open_app(product_db, **FROM_TO), "overview")
    assert len(at.dataframe) == 1 and PRODUCTS_TITLE not in [s.value for s in at.subheader]
    at = show(open_app(product_db, **FROM_TO), "contacts")
    assert "Product id" in headers(at) and len(at.dataframe[0].value) == 7
    assert product_db.read_bytes() == before  # a reader wrote nothing
