"""The Links & QR page's queries against real databases: contacts, re-entries, clicks and scans per
ref, registered links by page id or username, and the Wilson interval, each number recomputed in
Python from the raw tables."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from dashboard import queries
from dashboard.filters import Filters
from ingest import clicklog, db, links, pipeline
from tests import factories as fx
from tests.dashboard.conftest import SMALL_ENGAGED, SMALL_RANGE, SMALL_REFS, opened
from tests.dashboard.reference import Row, acquired, came_back, contacts, message_days, rows, wilson

REF_CHANNELS = ("m_me_link", "qr_code")


def expected_refs(con: duckdb.DuckDBPyConnection, f: Filters) -> dict[tuple[str, str], Row]:
    days = message_days(con)
    (newest,) = con.execute("SELECT max(ts) FROM events").fetchone() or (None,)
    want: dict[tuple[str, str], Row] = {}
    # A row's channel: its contacts' of the range (the latest acquired one's), else its latest
    # touch's in the range (ties by channel name).
    for t in rows(con, "SELECT * FROM touches WHERE ref IS NOT NULL ORDER BY ts, channel"):
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
        r["channel"] = t["channel"]
        r["reentries"] += t["is_reentry"]
        r["last_seen"] = t["ts"]
    ours = [c for c in acquired(contacts(con), f)
            if c["channel"] in REF_CHANNELS and c["ref"] is not None]  # fmt: skip
    for c in sorted(ours, key=lambda c: (c["first_touch_at"], c["channel"])):
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


def test_a_click_logged_without_a_device_is_counted(tmp_path):
    """Only a bot's GET is left out: a click line carrying no device class is someone's click."""
    no_device = {"object": "refscope_click", "ts": fx.T0 - 2000, "ref": "bio",
                 "page": fx.PAGE_ID, "qr": True}  # fmt: skip
    clicks = clicklog.click_line(fx.T0 - 1000, "bio", fx.PAGE_ID, True, "mobile")
    path, day = _qr_link_with_clicks(
        tmp_path, "bio", clicks + json.dumps(no_device).encode() + b"\n"
    )
    with opened(path) as c:
        assert c.execute("SELECT count(*) FROM clicks WHERE device IS NULL").fetchone() == (1,)
        df = queries.refs(c, Filters(day, day)).set_index("ref")
    assert df.loc["bio", ["clicks", "scans"]].tolist() == [2, 2]


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


def test_scans_are_the_clicks_through_the_qr_code_only(tmp_path):
    """A link's clicks are every visit of /r/<ref>; its scans only those the receiver logged as
    coming from the QR code: the same link shared as a URL is no scan of the printed code."""
    clicks = b"".join(clicklog.click_line(fx.T0 - 1000 - i, "menu", fx.PAGE_ID, qr, "mobile")
                      for i, qr in enumerate([True, True, True, False, False]))  # fmt: skip
    path, day = _qr_link_with_clicks(tmp_path, "menu", clicks)
    with opened(path) as c:
        df = queries.refs(c, Filters(day, day)).set_index("ref")
    assert df.loc["menu", ["new_contacts", "clicks", "scans"]].tolist() == [1, 5, 3]


def _qr_link_with_clicks(tmp_path: Path, ref: str, clicks: bytes) -> tuple[Path, dt.date]:
    """A database from one contact who came by the QR code `ref` (registered) and the click
    log `clicks`; with the day of that contact's arrival."""
    logs = tmp_path / "logs"
    first = fx.postback(referral=fx.referral_obj(ref), psid="u1", ts=fx.T0)
    fx.write_ndjson(logs / "webhooks.ndjson", [fx.delivery(first)])
    (logs / "clicks.ndjson").write_bytes(clicks)
    path = tmp_path / "r.duckdb"
    con = db.connect(path)
    try:
        links.register(con, [links.make_link(fx.PAGE_ID, ref, channel="qr")])
    finally:
        con.close()
    pipeline.run([str(logs)], path)
    return path, dt.datetime.fromtimestamp(fx.T0 / 1000, dt.UTC).date()


def _unmapped_footer_db(tmp_path, username=None):
    """A database holding a `footer` m.me link contact of fx.PAGE_ID (named `username` in
    `pages`, if given) and the `footer` link registered by the username `pages` does not map."""
    logs = tmp_path / "logs"
    fx.write_ndjson(logs / "webhooks.ndjson", [
        fx.delivery(fx.postback(referral=fx.referral_obj("footer"), psid="u1", ts=fx.T0))
    ])  # fmt: skip
    path = tmp_path / "r.duckdb"
    con = db.connect(path)
    try:
        if username:
            con.execute("INSERT INTO pages VALUES (?, ?, NULL)", [fx.PAGE_ID, username])
        links.register(con, [links.make_link("unmappedshop", "footer")])
    finally:
        con.close()
    pipeline.run([str(logs)], path)
    return path


def test_a_page_filter_leaves_other_pages_contacts_out_of_a_link_of_an_unmapped_username(
    tmp_path,
):
    """A link made by a username `pages` does not map is listed under every page filter: its
    count was of every page's contacts, so with the other page chosen the Create links table
    credited it with a contact that Links & QR codes did not show."""
    path = _unmapped_footer_db(tmp_path)
    day = fx.utc(fx.T0).date()
    with opened(path) as c:
        counts = {
            page: (
                queries.tracked_link_stats(c, Filters(day, day, (page,)))["new_contacts"].tolist(),
                queries.refs(c, Filters(day, day, (page,)))["new_contacts"].tolist(),
            )
            for page in (fx.PAGE_ID, fx.OTHER_PAGE_ID)
        }
    assert counts == {fx.PAGE_ID: ([1], [1]), fx.OTHER_PAGE_ID: ([0], [])}


def test_a_link_of_an_unmapped_username_is_not_credited_with_a_page_pages_names_otherwise(
    tmp_path,
):
    """The ref alone finds an unmapped username's link only on pages whose username is unknown:
    the page `pages` names northwindcoffee is not unmappedshop, its `footer` contact not the
    link's, in the Create links table and in Links & QR codes alike."""
    path = _unmapped_footer_db(tmp_path, username="northwindcoffee")
    day = fx.utc(fx.T0).date()
    with opened(path) as c:
        stats = queries.tracked_link_stats(c)["new_contacts"].tolist()
        seen = queries.refs(c, Filters(day, day)).set_index("ref")
    assert stats == [0]
    assert seen.loc["footer", ["registered", "channel"]].tolist() == [False, "m_me_link"]
