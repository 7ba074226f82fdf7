"""Contacts shows the rows behind any number: picking a ref, an ad, a post, a website page or
engaged narrows it to exactly the contacts another page counts there."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from dashboard import queries, widgets
from dashboard.filters import ContactPick, Filters
from ingest import pipeline
from tests import factories as fx
from tests.dashboard.conftest import CHATS, SMALL_RANGE, opened
from tests.dashboard.reference import acquired

APP = Path(__file__).resolve().parents[2] / "dashboard" / "streamlit_app.py"


def picked(con: duckdb.DuckDBPyConnection, f: Filters, **pick: Any) -> set[tuple[str, str]]:
    df = queries.contact_rows(con, f, "", ContactPick(**pick))
    return set(zip(df["page_id"], df["psid"], strict=True))


def test_picking_a_ref_gives_the_contacts_links_counts_for_it(con, demo_contacts, filters):
    refs = queries.refs(con, filters)
    assert len(refs) > 3
    for r in refs.itertuples():
        f = Filters(filters.start, filters.end, (r.page_id,))
        want = {(c["page_id"], c["psid"]) for c in acquired(demo_contacts, f)
                if c["ref"] == r.ref and c["channel"] in ("m_me_link", "qr_code")}  # fmt: skip
        assert picked(con, f, ref=r.ref) == want
        assert len(want) == r.new_contacts


def test_picking_a_ref_of_a_page_gives_that_rows_contacts_with_every_page_shown(
    con, demo_contacts, filters
):
    """The same ref on two pages is a row each on Links & QR codes; with no page filter, picking
    it with its page gave both pages' contacts, a number no row shows."""
    refs = queries.refs(con, filters)
    refs = refs[refs["new_contacts"] > 0]
    assert refs["ref"].duplicated().any()  # a ref the demo uses on both its pages
    for r in refs.itertuples():
        want = {(c["page_id"], c["psid"]) for c in acquired(demo_contacts, filters)
                if c["ref"] == r.ref and c["page_id"] == r.page_id
                and c["channel"] in ("m_me_link", "qr_code")}  # fmt: skip
        assert picked(con, filters, ref=r.ref, ref_page=r.page_id) == want
        assert len(want) == r.new_contacts


def test_contacts_ref_picker_names_a_shared_ref_with_its_page(monkeypatch, demo_db, con):
    (last,) = con.execute("SELECT CAST(max(ts) AS DATE) FROM events").fetchone()
    f = Filters(last - dt.timedelta(days=27), last)
    refs = queries.refs(con, f)
    refs = refs[refs["new_contacts"] > 0]
    shared = refs[refs["ref"].duplicated(keep=False)]
    assert len(shared) >= 2
    monkeypatch.setenv("REFSCOPE_DB", str(demo_db))
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.switch_page("app_pages/contacts.py")
    at.run()
    assert not at.exception
    pick = at.selectbox(key="rs_pick_ref")
    for r in shared.itertuples():
        assert f"{r.ref} · {r.page_id}" in pick.options  # the demo's pages have no names here
        at.selectbox(key="rs_pick_ref").set_value((r.ref, r.page_id)).run()
        assert not at.exception
        df = at.dataframe[0].value
        assert len(df) == r.new_contacts and set(df["page_id"]) == {r.page_id}
        assert set(df["ref"]) == {r.ref}


def test_picking_an_ad_gives_its_contacts_also_those_without_a_title(con, demo_contacts, filters):
    ads = queries.ads(con, filters)
    untitled = 0
    for r in ads.itertuples():
        want = [c for c in acquired(demo_contacts, filters) if c["ad_id"] == r.ad_id]
        untitled += sum(c["ad_title"] is None for c in want)
        assert picked(con, filters, ad_id=r.ad_id) == {(c["page_id"], c["psid"]) for c in want}
        assert len(want) == r.new_contacts
    assert untitled > 0  # a title search alone could not find these


def test_picking_a_post_gives_the_conversations_comments_counts_for_it(con, filters):
    posts = queries.comments(con, filters)
    posts = posts[posts["conversations"] > 0]
    assert len(posts) > 1
    for r in posts.itertuples():
        f = Filters(filters.start, filters.end, (r.page_id,))
        df = queries.contact_rows(con, f, "", ContactPick(post_id=r.post_id))
        assert len(df) == r.conversations
        assert set(df["channel"]) == {"comment_reply"} and set(df["post_id"]) == {r.post_id}


OTHER_PAGE = "203948571620394"
UNKNOWN_POST = {fx.PAGE_ID: 1, OTHER_PAGE: 2}  # page -> replies to a comment no log holds


def _unknown_posts_db(path: Path) -> Path:
    """Private replies on two pages to comments whose feed event no log holds: each page's
    conversations are of "(unknown post)", a row of its own on Comments."""
    lines: list[fx.Json] = []
    for page, count in UNKNOWN_POST.items():
        for i in range(count):
            psid, ts = f"{page[:4]}{i}", fx.T0 + i * fx.MINUTE
            echo = fx.private_reply_echo(f"c_{psid}", psid=psid, page_id=page, ts=ts)
            lines.append(fx.delivery(echo, page_id=page))
            reply = fx.message("yes please", psid=psid, page_id=page, ts=ts + fx.HOUR)
            lines.append(fx.delivery(reply, page_id=page))
    pipeline.run([str(fx.write_ndjson(path.parent / "logs" / "replies.ndjson", lines))], path)
    return path


def test_picking_the_unknown_post_of_a_page_gives_that_pages_conversations(tmp_path):
    path = _unknown_posts_db(tmp_path / "replies.duckdb")
    with opened(path) as con:
        posts = queries.comments(con, SMALL_RANGE)
        rows = zip(posts["page_id"], posts["post_id"], posts["conversations"], strict=True)
        assert set(rows) == {(page, "(unknown post)", n) for page, n in UNKNOWN_POST.items()}
        for page, n in UNKNOWN_POST.items():
            pick = ContactPick(post_id="(unknown post)", post_page=page)
            df = queries.contact_rows(con, SMALL_RANGE, "", pick)
            assert len(df) == n and set(df["page_id"]) == {page}


def test_contacts_post_picker_names_a_post_two_pages_show_with_its_page(open_app, tmp_path):
    at = open_app(_unknown_posts_db(tmp_path / "replies.duckdb"))
    at.switch_page("app_pages/contacts.py")
    at.run()
    assert not at.exception
    pick = at.selectbox(key="rs_pick_post_id")
    assert pick.options == ["any", *(f"(unknown post) · {p}" for p in sorted(UNKNOWN_POST))]
    for page, n in UNKNOWN_POST.items():
        at.selectbox(key="rs_pick_post_id").set_value(("(unknown post)", page)).run()
        assert not at.exception
        df = at.dataframe[0].value
        assert len(df) == n and set(df["page_id"]) == {page}


def test_contact_rows_name_the_post_of_each_comment_reply(con, filters):
    """The contact row of a reply carries no post: it is found through its comment."""
    df = queries.contact_rows(con, filters)
    replies = df[df["channel"] == "comment_reply"]
    assert len(replies) > 0 and replies["post_id"].notna().all()
    posts = set(queries.comments(con, filters)["post_id"])
    assert set(replies["post_id"]) <= posts


def test_picking_a_website_page_gives_its_chat_contacts_only(small):
    for r in queries.website_chat(small, SMALL_RANGE).itertuples():
        df = queries.contact_rows(small, SMALL_RANGE, "", ContactPick(referer_uri=r.referer_uri))
        assert len(df) == r.new_contacts == sum(uri == r.referer_uri for uri, *_ in CHATS)
    # A search for the home page also finds every other page of the site; the pick does not.
    home = "https://acme.example/"
    assert len(queries.contact_rows(small, SMALL_RANGE, home)) == len(CHATS)
    assert len(queries.contact_rows(small, SMALL_RANGE, "", ContactPick(referer_uri=home))) == 1


@pytest.mark.parametrize("engaged", [True, False], ids=["engaged", "not-engaged"])
def test_picking_engaged_gives_the_contacts_the_kpi_counts(con, demo_contacts, filters, engaged):
    want = {(c["page_id"], c["psid"]) for c in acquired(demo_contacts, filters)
            if (c["second_message_at"] is not None) == engaged}  # fmt: skip
    assert picked(con, filters, engaged=engaged) == want
    kpi = queries.kpis(con, filters).iloc[0]
    assert len(want) == (kpi["engaged"] if engaged else kpi["new_contacts"] - kpi["engaged"])


def test_contacts_page_narrows_to_the_rows_behind_an_ads_figure(monkeypatch, demo_db, con):
    (last,) = con.execute("SELECT CAST(max(ts) AS DATE) FROM events").fetchone()
    f = Filters(last - dt.timedelta(days=27), last)
    ad = queries.ads(con, f).iloc[0]
    monkeypatch.setenv("REFSCOPE_DB", str(demo_db))
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.switch_page("app_pages/contacts.py")
    at.run()
    assert not at.exception
    labels = [s.label for s in at.selectbox if s.key and s.key.startswith("rs_pick_")]
    assert labels == ["Link or QR ref", "Ad", "Post", "Engaged"]  # no chat contacts here
    pick = at.selectbox(key="rs_pick_ad_id")
    assert f"{ad['ad_title']} ({ad['ad_id']})" in pick.options
    pick.set_value(ad["ad_id"]).run()
    assert not at.exception
    assert len(at.dataframe[0].value) == ad["new_contacts"] > 0
    assert f"{ad['new_contacts']:,} contacts acquired {f.start} – {f.end}" in [
        c.value for c in at.caption
    ]
    at.selectbox(key="rs_pick_engaged").set_value(True).run()
    assert len(at.dataframe[0].value) == ad["engaged"]


def test_contacts_picks_survive_a_page_switch_and_a_pick_the_range_lacks_is_cleared(
    monkeypatch, demo_db, con
):
    monkeypatch.setenv("REFSCOPE_DB", str(demo_db))
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.query_params.update({"range": "Last 90 days"})
    at.switch_page("app_pages/contacts.py")
    at.run()
    (last,) = con.execute("SELECT CAST(max(ts) AS DATE) FROM events").fetchone()
    week = Filters(last - dt.timedelta(days=6), last)
    in_week = set(queries.contact_rows(con, week)["ref"].dropna())
    refs = at.selectbox(key="rs_pick_ref").options[1:]
    # A ref of the 90 days, none this week (on one page: its option is named by the ref alone).
    gone = next(r for r in refs if r not in in_week and " · " not in r)
    at.selectbox(key="rs_pick_ref").select_index(refs.index(gone) + 1).run()
    at.selectbox(key="rs_pick_engaged").set_value(True).run()
    at.text_input(key="rs_contacts_search").input(gone[:4]).run()  # still finds it
    n = len(at.dataframe[0].value)
    # Away and back: the search and picks are where they were.
    at.switch_page("app_pages/ads.py").run()
    at.switch_page("app_pages/contacts.py").run()
    assert not at.exception
    assert at.selectbox(key="rs_pick_ref").value[0] == gone
    assert at.selectbox(key="rs_pick_engaged").value is True
    assert at.text_input(key="rs_contacts_search").value == gone[:4]
    assert len(at.dataframe[0].value) == n
    # A week without that ref: the pick goes back to "any", and the page says so.
    at.sidebar.selectbox[0].set_value("Last 7 days").run()
    assert not at.exception
    assert at.selectbox(key="rs_pick_ref").value is None
    name = widgets.literal(gone)  # as markdown: the ref as given
    assert f"No contact of these filters has link or qr ref {name}: that pick is cleared." in [
        c.value for c in at.caption
    ]
