"""queries.py against real databases: the data's bounds (first and last event days, today, after
a prune, an older schema), the page lists, the last run, and the tracked links' stats."""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd
import pytest

from dashboard import queries
from dashboard.filters import Filters
from dashboard.report_data import day_cell
from ingest import db, links, pipeline
from tests import factories as fx
from tests.dashboard.conftest import SMALL_ENGAGED, build_pruned_db, opened
from tests.dashboard.reference import contacts, day_of, rows


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
        {"page": fx.PAGE_USERNAME, "label": "Acme Bakery", "page_id": fx.PAGE_ID}
    ]
    ids = sorted({c["page_id"] for c in demo_contacts})
    assert queries.known_pages(con).to_dict("records") == [
        {"page": i, "label": i, "page_id": i} for i in ids
    ]


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


def test_tracked_link_stats_carry_each_links_note(db_path):
    """A link's note was stored and shown nowhere: the registry has it, last."""
    con = db.connect(db_path)
    try:
        made = [links.make_link("acmebakery", "window", notes="Main St, left of the door"),
                links.make_link("acmebakery", "till")]  # fmt: skip
        links.register(con, made)
        df = queries.tracked_link_stats(con)
    finally:
        con.close()
    assert list(df.columns)[-1] == "notes"
    notes = df.set_index("ref")["notes"]
    assert notes["window"] == "Main St, left of the door" and pd.isna(notes["till"])


def test_tracked_link_stats_name_each_page_as_the_other_pages_do(db_path):
    """The registry listed a link's page only as it was registered (a username, or the numeric
    id), while every other table says "Acme Bakery": page_name is the page's name (else its
    username) in `pages`, whichever way the link names it, and the page as registered when
    `pages` does not know it."""
    con = db.connect(db_path)
    try:
        links.learn_page(con, "1122334455667788", "acmebakery", "Acme Bakery")
        links.learn_page(con, "203948571620394", "northwindcoffee", None)
        made = [
            links.make_link(p, r)
            for p, r in (
                ("acmebakery", "a"),
                ("1122334455667788", "b"),
                ("203948571620394", "c"),
                ("otherbakery", "d"),
            )
        ]
        links.register(con, made)
        df = queries.tracked_link_stats(con).set_index("ref")
        assert df[["page", "page_name"]].to_dict("index") == {
            "a": {"page": "acmebakery", "page_name": "Acme Bakery"},
            "b": {"page": "1122334455667788", "page_name": "Acme Bakery"},
            "c": {"page": "203948571620394", "page_name": "northwindcoffee"},
            "d": {"page": "otherbakery", "page_name": "otherbakery"},
        }
    finally:
        con.close()


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
