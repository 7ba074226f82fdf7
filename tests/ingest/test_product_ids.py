"""The product a referral names: `product_id` in events, touches and contacts.

A message sent from a Shops product page carries `message.referral.product.id`; a
Click-to-Messenger ad's referral may carry `ads_context_data.product_id`, the product the ad
showed. Both are stored as their text in `product_id`, and a contact keeps its acquiring touch's,
as it keeps its ref and ad_id.
https://developers.facebook.com/documentation/business-messaging/messenger-platform/webhooks/webhook-events/messages
https://developers.facebook.com/documentation/business-messaging/messenger-platform/webhooks/webhook-events/messaging_referrals
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

import tests.factories as f
from ingest import db, lake, pipeline
from tests.conftest import Query
from tests.factories import DAY, HOUR, MINUTE, T0
from tests.ingest.prune_setup import _contact, _prune
from tests.ingest.rebuild_setup import run_rebuild

# Meta's ids are digits; one written as a JSON number past a double's 53 bits keeps them all.
BIG = "44892165845012345678"
TABLES = ("events", "touches", "contacts", "contact_history")


def shop(psid: str, product: object, ts: int, text: str = "Is this in stock?") -> str:
    """A message sent from a Shops product page (product: the id as the JSON holds it)."""
    item = f.delivery(f.message(text, psid=psid, ts=ts, referral={"product": {"id": product}}))
    return f.line(item).replace(f'"{BIG}"', BIG)  # the big one as a JSON number


def shop_log() -> list[str]:
    return [
        shop("u1", "4489216584501234", T0),
        shop("u2", BIG, T0 + MINUTE),
        shop("u3", "prod_1", T0 + 2 * MINUTE),  # not digits: kept as it is, as other ids are
        f.line(f.delivery(f.message("hello", psid="u4", ts=T0))),
        shop("u4", "777", T0 + HOUR, "and this?"),  # after the conversation opened: a re-entry
    ]


def test_a_shops_product_message_stores_its_product_id_in_events_touches_and_contacts(
    ingest_lines, query: Query
) -> None:
    ingest_lines(shop_log())
    assert query("SELECT psid, detail, product_id FROM events ORDER BY psid, ts") == [
        ("u1", "shops_product", "4489216584501234"), ("u2", "shops_product", BIG),
        ("u3", "shops_product", "prod_1"), ("u4", None, None), ("u4", "shops_product", "777"),
    ]  # fmt: skip
    assert query("SELECT psid, is_first, is_reentry, product_id FROM touches ORDER BY psid") == [
        ("u1", True, False, "4489216584501234"), ("u2", True, False, BIG),
        ("u3", True, False, "prod_1"), ("u4", False, True, "777"),
    ]  # fmt: skip
    # The acquiring touch's product: an organic contact's later product page is not its own.
    assert query("SELECT psid, channel, product_id FROM contacts ORDER BY psid") == [
        ("u1", "other", "4489216584501234"), ("u2", "other", BIG), ("u3", "other", "prod_1"),
        ("u4", "organic", None),
    ]  # fmt: skip


def test_a_ctm_ads_product_id_is_its_touchs_and_its_contacts(ingest_lines, query: Query) -> None:
    """ads_context_data.product_id is the product the ad showed: the same column. A Get Started
    from the ad has no ads_context_data; the ad's first message after it names the product, as
    it names the ad's title (one click reported twice)."""
    ad = f.ads_referral()
    ad["ads_context_data"]["product_id"] = "1200345"
    ingest_lines(
        [
            f.delivery(f.message("I want this", psid="a1", ts=T0, referral=ad)),
            f.delivery(f.postback(referral=f.ads_referral(), psid="a2", ts=T0)),
            f.delivery(f.message("hi", psid="a2", ts=T0 + MINUTE, referral=ad)),
            f.delivery(f.message("hi", psid="a3", ts=T0, referral=f.ads_referral())),
        ]
    )
    assert query("SELECT psid, channel, ad_title, product_id FROM contacts ORDER BY psid") == [
        ("a1", "ctm_ad", "Fresh sourdough every morning", "1200345"),
        ("a2", "ctm_ad", "Fresh sourdough every morning", "1200345"),
        ("a3", "ctm_ad", "Fresh sourdough every morning", None),
    ]
    assert query("SELECT psid, via, product_id FROM touches ORDER BY psid, ts") == [
        ("a1", "message", "1200345"), ("a2", "postback", None), ("a2", "message", "1200345"),
        ("a3", "message", None),
    ]  # fmt: skip


def test_a_contact_whose_product_touch_a_prune_removed_keeps_its_product_id(
    ingest_lines, db_path: Path, query: Query
) -> None:
    later = f.delivery(f.message("still there?", psid="u1", ts=T0 + 2 * DAY))
    ingest_lines([shop("u1", "4489216584501234", T0), later])
    _prune(db_path, (f.utc(T0) + dt.timedelta(days=1)).date())
    # A later message rebuilds the contact from what the prune kept (contact_history).
    ingest_lines([f.delivery(f.message("again", psid="u1", ts=T0 + 3 * DAY))], "b.ndjson")
    assert query.scalar("SELECT count(*) FROM events WHERE product_id IS NOT NULL") == 0
    c = _contact(query, "u1")
    assert (c["channel"], c["product_id"]) == ("other", "4489216584501234")


def _as_older_refscope_stored(path: Path) -> None:
    """The database as the refscope before product_id stored these logs: no such column."""
    con = duckdb.connect(str(path))
    try:
        for table in TABLES:
            con.execute(f"ALTER TABLE {table} DROP COLUMN product_id")
    finally:
        con.close()


def _columns(query: Query, table: str) -> list[str]:
    return [c for (c,) in query("SELECT column_name FROM duckdb_columns() WHERE table_name = ? "
                                "ORDER BY column_index", table)]  # fmt: skip


def test_an_older_database_gains_the_column_and_a_rebuild_fills_it(
    db_path: Path, log_dir: Path, query: Query
) -> None:
    log = f.write_ndjson(log_dir / "a.ndjson", shop_log())
    pipeline.run([str(log)], db_path)
    before = {t: _columns(query, t) for t in TABLES}
    _as_older_refscope_stored(db_path)
    migrated = query.scalar("SELECT comment FROM duckdb_tables() WHERE table_name = 'events'")

    # A reader (the dashboard) of the older file sees the column, empty, until a writer adds it.
    assert query("SELECT DISTINCT product_id FROM contacts") == [(None,)]
    later = f.write_ndjson(log_dir / "b.ndjson", [shop("u9", "555", T0 + DAY)])
    pipeline.run([str(later)], db_path)
    # Every column kept in its place, product_id last, as in a new database; no migration ran.
    assert {t: _columns(query, t) for t in TABLES} == before
    assert all(cols[-1] == "product_id" for cols in before.values())
    assert query.scalar("SELECT comment FROM duckdb_tables() WHERE table_name = 'events'") == (
        migrated)  # fmt: skip
    assert query("SELECT psid, product_id FROM contacts WHERE product_id IS NOT NULL") == [
        ("u9", "555")]  # fmt: skip
    assert query.scalar("SELECT count(*) FROM events") == 6  # the older rows as they were

    # The logs hold the older rows' product ids: a rebuild reads them again.
    new = db_path.with_name("new.duckdb")
    res = run_rebuild("--db", str(db_path), "--out", str(new))
    assert res.exit_code == 0, res.output
    assert Query(new)("SELECT psid, product_id FROM contacts ORDER BY psid") == [
        ("u1", "4489216584501234"), ("u2", BIG), ("u3", "prod_1"), ("u4", None), ("u9", "555"),
    ]  # fmt: skip
    assert Query(new).scalar("SELECT count(*) FROM touches WHERE product_id IS NOT NULL") == 5


def test_a_lake_of_an_older_database_is_written_again_with_the_column(
    db_path: Path, log_dir: Path, tmp_path: Path
) -> None:
    log = f.write_ndjson(log_dir / "a.ndjson", shop_log())
    pipeline.run([str(log)], db_path)
    _as_older_refscope_stored(db_path)
    lake_dir = tmp_path / "lake"
    con = duckdb.connect(str(db_path))  # the older refscope's sync: files without the column
    try:
        lake.sync(con, lake_dir)
    finally:
        con.close()
    later = f.write_ndjson(log_dir / "b.ndjson", [shop("u9", "555", T0 + DAY)])
    pipeline.run([str(later)], db_path, lake_dir=lake_dir)
    # Every row changed (a column more): every partition is written again, with the column.
    for table in ("events", "touches", "contacts"):
        files = list((lake_dir / table).glob("*/*/*.parquet"))
        assert files and all("product_id" in pq.read_schema(p).names for p in files), table
    mem = db.connect_memory()
    try:
        lake.attach_views(mem, lake_dir)
        got = mem.execute("SELECT psid, product_id FROM contacts ORDER BY psid").fetchall()
    finally:
        mem.close()
    # The older rows' are NULL until a rebuild: the older database never stored them.
    assert got == [("u1", None), ("u2", None), ("u3", None), ("u4", None), ("u9", "555")]
