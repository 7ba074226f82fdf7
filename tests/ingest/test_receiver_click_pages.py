"""Scans logged by a receiver that could not check them (no registry read on its host, or the
database locked) carry their `?page=` as the link gave it, which may spell the page otherwise
than its registration: in another case or with periods (`Acme.Bakery` for `acmebakery`, one
username to Facebook), or by the page id `pages` maps the username to, as the README lets a
link name its page. The receiver that checks a scan logs its link's page as registered; one
that cannot, as given. Links & QR codes and reports matched a click to its link by that exact
text, so such scans were logged, ingested, and counted nowhere: a link's clicks and scans, and
its contacts per click, then depended on whether the database was locked while it was scanned."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

from dashboard import queries
from dashboard.filters import Filters
from ingest import db, links, pipeline
from ingest.receiver import ReceiverConfig
from tests import factories as f
from tests.dashboard.conftest import opened
from tests.ingest.receiver_server import IPHONE, SECRET, TOKEN, StartReceiver

PAGE_ID = "111111111111111"


def test_a_scan_logged_unchecked_counts_for_its_link_however_it_spells_the_page(
    start_receiver: StartReceiver, db_path: Path, tmp_path: Path
) -> None:
    # The scans go through a scaled-out receiver without the database (its registry unread).
    receiver = start_receiver(
        ReceiverConfig(tmp_path / "logs", tmp_path / "elsewhere.duckdb", (SECRET,), TOKEN)
    )
    phone = {"User-Agent": IPHONE}
    pages = ["acmebakery", "Acme.Bakery", "ACMEBAKERY", PAGE_ID]
    for page in pages:  # one scan of door_qr per spelling of its page
        r = receiver.get("/r/door_qr", params={"page": page, "qr": "1"}, headers=phone)
        assert r.status_code == 302, r.text
    # "both" is registered under the username and under the id: one page, each scan counted once.
    for page in ("Acme.Bakery", PAGE_ID, "acmebakery"):
        r = receiver.get("/r/both", params={"page": page, "qr": "0"}, headers=phone)
        assert r.status_code == 302, r.text
    # Another page's link of the same ref keeps its own scan.
    r = receiver.get("/r/door_qr", params={"page": "Other.Bakery", "qr": "1"}, headers=phone)
    assert r.status_code == 302, r.text
    assert len(receiver.lines("clicks")) == 8

    con = db.connect(db_path)
    try:
        links.register(con, [
            links.make_link("acmebakery", "door_qr", "qr"),
            links.make_link("otherbakery", "door_qr", "qr"),
            links.make_link("acmebakery", "both"),
            links.make_link(PAGE_ID, "both"),
        ])  # fmt: skip
        con.execute("INSERT INTO pages (page_id, username) VALUES (?, 'acmebakery')", [PAGE_ID])
    finally:
        con.close()
    now = int(time.time() * 1000)
    contact = f.postback(referral=f.referral_obj("door_qr"), page_id=PAGE_ID, ts=now)
    webhooks = tmp_path / "hooks" / "webhooks.ndjson"
    f.write_ndjson(webhooks, [f.envelope(f.delivery(contact, page_id=PAGE_ID), now)])
    pipeline.run([str(tmp_path / "logs"), str(webhooks)], db_path)

    today = dt.datetime.now(dt.UTC).date()
    with opened(db_path) as c:
        df = queries.refs(c, Filters(today - dt.timedelta(days=1), today + dt.timedelta(days=1)))
    got = {
        (r.ref, r.page_id if r.page_id == PAGE_ID else None): (r.clicks, r.scans, r.new_contacts)
        for r in df.itertuples()
    }
    assert got == {
        ("door_qr", PAGE_ID): (4, 4, 1),  # every spelling of its page, once each
        ("both", PAGE_ID): (3, 0, 0),
        ("door_qr", None): (1, 1, 0),  # otherbakery's, on a page `pages` does not map
    }, df
    (door,) = df[(df["ref"] == "door_qr") & (df["page_id"] == PAGE_ID)].itertuples()
    assert door.contacts_per_click == 1 / 4
