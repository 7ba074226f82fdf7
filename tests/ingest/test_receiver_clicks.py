"""Tracked-link clicks and scans on the receiver (GET /r/<ref>): redirects, the registry, and
what is logged (no IP, no user agent, a coarse device class)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from ingest import db, links
from ingest.clicklog import MISS_RECHECK_SECONDS, device_class
from ingest.receiver import ReceiverConfig
from tests import factories as f
from tests.ingest.receiver_server import (
    IPHONE,
    SECRET,
    TOKEN,
    Receiver,
    StartReceiver,
    register,
)


def test_click_redirects_to_m_me_and_logs_no_ip_or_user_agent(click_receiver: Receiver) -> None:
    r = click_receiver.get("/r/spring_menu", params={"qr": "1"}, headers={"User-Agent": IPHONE})
    assert r.status_code == 302
    assert r.headers["location"] == f"https://m.me/{f.PAGE_USERNAME}?ref=spring_menu"
    # A cached redirect would take the next click straight to m.me, uncounted.
    assert r.headers["cache-control"] == "no-store"
    r = click_receiver.get("/r/promo=2024", headers={"User-Agent": "Mozilla/5.0 (X11; Linux)"})
    assert r.headers["location"] == f"https://m.me/{f.PAGE_USERNAME}?ref=promo%3D2024"
    first, second = (json.loads(x) for x in click_receiver.lines("clicks"))
    assert set(first) == {"object", "ts", "ref", "page", "qr", "device"}
    assert first["object"] == "refscope_click" and abs(first["ts"] - time.time() * 1000) < 60_000
    assert (first["ref"], first["page"], first["qr"], first["device"]) == (
        "spring_menu", f.PAGE_USERNAME, True, "mobile"
    )  # fmt: skip
    assert (second["ref"], second["qr"], second["device"]) == ("promo=2024", False, "desktop")
    text = b"".join(p.read_bytes() for p in click_receiver.log_dir.iterdir())
    assert b"127.0.0.1" not in text and b"iPhone" not in text and b"Linux" not in text
    assert click_receiver.metrics()["refscope_clicks_total"] == 2


def test_a_click_through_a_links_qr_0_address_is_not_a_scan(click_receiver: Receiver) -> None:
    # A redirect link made for the link channel carries qr=0 (links.Link.url): not a QR scan.
    r = click_receiver.get("/r/spring_menu", params={"qr": "0"})
    assert r.status_code == 302
    (line,) = click_receiver.lines("clicks")
    assert json.loads(line)["qr"] is False


def test_click_on_an_unknown_ref_is_404(click_receiver: Receiver) -> None:
    r = click_receiver.get("/r/nobody_made_this")
    assert r.status_code == 404 and "not registered" in r.text
    # What a visitor typed is shown cut short, the page as the ref.
    r = click_receiver.get("/r/spring_menu", params={"page": "p" * 5000})
    assert r.status_code == 404 and "p" * 100 in r.text and len(r.text) < 400, len(r.text)
    assert click_receiver.lines("clicks") == []


def test_a_refusal_that_repeats_what_the_visitor_typed_is_never_read_as_a_page(
    click_receiver: Receiver,
) -> None:
    """A 404 says the ref and ?page= a visitor gave, which anyone may make a link of
    (`/r/<img src=x onerror=…>`): like the handshake's echo of hub.challenge, it is sent with
    `X-Content-Type-Options: nosniff`, so no browser reads that text as HTML."""
    for params in ({"page": "<b>x</b>"}, {}):
        r = click_receiver.get("/r/<img src=x onerror=alert(1)>", params=params)
        assert r.status_code == 404, r.text
        assert "<img src=x" in r.text and r.headers["content-type"].startswith("text/plain")
        assert r.headers.get("x-content-type-options") == "nosniff"
    r = click_receiver.get("/r/menu")  # ambiguous: several pages
    assert r.status_code == 404 and r.headers.get("x-content-type-options") == "nosniff"


def test_ref_of_several_pages_needs_a_page(click_receiver: Receiver) -> None:
    r = click_receiver.get("/r/menu")
    assert r.status_code == 404 and "several pages" in r.text and "?page=" in r.text
    r = click_receiver.get("/r/menu", params={"page": "OtherBakery"})
    assert (r.status_code, r.headers["location"]) == (302, "https://m.me/otherbakery?ref=menu")
    (line,) = click_receiver.lines("clicks")
    assert json.loads(line)["page"] == "otherbakery"


def test_a_ref_registered_under_a_page_id_and_its_username_is_one_page(
    click_receiver: Receiver, db_path: Path
) -> None:
    # Both registered first, then `pages set` makes the id and the username one page.
    register(db_path, links.make_link(f.OTHER_PAGE_ID, "flyer7", "qr"),
             links.make_link("shoppage", "flyer7", "qr"))  # fmt: skip
    con = db.connect(db_path)
    try:
        with db.transaction(con):
            links.learn_page(con, f.OTHER_PAGE_ID, "shoppage", None)
    finally:
        con.close()
    for page in (f.OTHER_PAGE_ID, "ShopPage"):
        r = click_receiver.get("/r/flyer7", params={"page": page, "qr": "1"})
        want = f"https://m.me/{page.lower()}?ref=flyer7"
        assert (r.status_code, r.headers["location"]) == (302, want)
    r = click_receiver.get("/r/flyer7")  # one page: no ?page= needed
    assert r.status_code == 302 and r.headers["location"].endswith("?ref=flyer7")
    assert len(click_receiver.lines("clicks")) == 3


def test_a_trailing_slash_is_the_same_link(click_receiver: Receiver) -> None:
    r = click_receiver.get("/r/spring_menu/", params={"qr": "1"})
    assert (r.status_code, r.headers["location"]) == (
        302, f"https://m.me/{f.PAGE_USERNAME}?ref=spring_menu")  # fmt: skip
    assert [json.loads(x)["ref"] for x in click_receiver.lines("clicks")] == ["spring_menu"]


def test_a_head_request_redirects_without_logging_a_click(click_receiver: Receiver) -> None:
    r = click_receiver.client.head("/r/spring_menu", params={"qr": "1"})
    assert (r.status_code, r.headers["location"]) == (
        302, f"https://m.me/{f.PAGE_USERNAME}?ref=spring_menu")  # fmt: skip
    assert click_receiver.lines("clicks") == []
    assert click_receiver.metrics()["refscope_clicks_total"] == 0


def test_a_click_that_cannot_be_logged_still_reaches_the_page(
    start_receiver: StartReceiver, db_path: Path, tmp_path: Path
) -> None:
    register(db_path, links.make_link(f.PAGE_USERNAME, "menu"))

    def fsync(fd: int) -> None:
        raise OSError(5, "Input/output error")

    config = ReceiverConfig(tmp_path / "logs", db_path, (SECRET,), TOKEN, registry_refresh=0.0)
    receiver = start_receiver(config, fsync=fsync)
    r = receiver.get("/r/menu")
    assert (r.status_code, r.headers["location"]) == (
        302,
        f"https://m.me/{f.PAGE_USERNAME}?ref=menu",
    )
    metrics = receiver.metrics()
    assert (metrics["refscope_clicks_total"], metrics["refscope_write_errors_total"]) == (0, 1)


def test_a_redirect_link_names_its_page_so_a_shared_ref_still_resolves(
    click_receiver: Receiver,
) -> None:
    # "menu" is registered for two pages: the URL refscope printed for each finds its own.
    for page in (f.PAGE_USERNAME, "otherbakery"):
        url = links.make_link(page, "menu", "qr", base_url=click_receiver.url).url
        assert url == f"{click_receiver.url}/r/menu?page={page}&qr=1"
        r = click_receiver.get(url.removeprefix(click_receiver.url))
        assert (r.status_code, r.headers["location"]) == (302, f"https://m.me/{page}?ref=menu")
    assert [json.loads(x)["qr"] for x in click_receiver.lines("clicks")] == [True, True]


def test_a_link_registered_while_serving_works_at_once(
    start_receiver: StartReceiver, db_path: Path, tmp_path: Path
) -> None:
    receiver = start_receiver(ReceiverConfig(tmp_path / "logs", db_path, (SECRET,), TOKEN))
    assert receiver.get("/r/fresh_ref").status_code == 404
    register(db_path, links.make_link(f.PAGE_USERNAME, "fresh_ref"))
    time.sleep(MISS_RECHECK_SECONDS)  # how often an unknown ref may re-read the registry
    r = receiver.get("/r/fresh_ref")
    assert (r.status_code, r.headers.get("location")) == (
        302, f"https://m.me/{f.PAGE_USERNAME}?ref=fresh_ref"
    )  # fmt: skip
    # The click is logged, for the ref and page registered; the 404 before it logged nothing.
    assert [(json.loads(x)["ref"], json.loads(x)["page"]) for x in receiver.lines("clicks")] == [
        ("fresh_ref", f.PAGE_USERNAME)
    ]  # fmt: skip


def test_a_ref_registered_for_another_page_while_serving_works_at_once(
    start_receiver: StartReceiver, db_path: Path, tmp_path: Path
) -> None:
    """A ref the registry holds for one page, registered for a second: the second page's code
    (`?page=` names it) works at once too, as a new ref does; it was 404 until the next
    periodic re-read, the scan lost."""
    receiver = start_receiver(ReceiverConfig(tmp_path / "logs", db_path, (SECRET,), TOKEN))
    register(db_path, links.make_link(f.PAGE_USERNAME, "fresh_ref"))
    time.sleep(MISS_RECHECK_SECONDS)
    assert receiver.get("/r/fresh_ref", params={"page": f.PAGE_USERNAME}).status_code == 302
    register(db_path, links.make_link("otherbakery", "fresh_ref"))
    time.sleep(MISS_RECHECK_SECONDS)
    r = receiver.get("/r/fresh_ref", params={"page": "otherbakery", "qr": "1"})
    assert (r.status_code, r.headers.get("location")) == (
        302, "https://m.me/otherbakery?ref=fresh_ref"
    )  # fmt: skip
    assert [json.loads(x)["page"] for x in receiver.lines("clicks")] == [
        f.PAGE_USERNAME, "otherbakery"
    ]  # fmt: skip


def test_registry_is_kept_while_the_database_is_locked(
    click_receiver: Receiver, db_path: Path
) -> None:
    assert click_receiver.get("/r/spring_menu").status_code == 302
    holder = subprocess.Popen(  # another process writes: a new link, and keeps the lock
        [sys.executable, "-c", HOLD_LOCK, str(db_path)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "locked\n"
        assert click_receiver.get("/r/spring_menu").status_code == 302
        # Not known yet, rather than unregistered: try again (test_receiver_locked_registry.py)
        assert click_receiver.get("/r/late_ref").status_code == 503
        assert "locked" in click_receiver.get("/healthz").json()["registry"]["error"]
    finally:
        holder.communicate(timeout=30)
    assert click_receiver.get("/r/late_ref").status_code == 302
    assert click_receiver.get("/healthz").json()["registry"]["error"] is None


HOLD_LOCK = """
import sys, duckdb
con = duckdb.connect(sys.argv[1])
con.execute("INSERT INTO tracked_links VALUES ('late_ref', 'acmebakery', 'm_me_link', NULL, "
            "NULL, NULL, 'https://m.me/acmebakery?ref=late_ref', now())")
print("locked", flush=True)
sys.stdin.read()
con.close()
"""


@pytest.mark.parametrize(
    ("user_agent", "device"),
    [
        (IPHONE, "mobile"),
        (
            "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Mobile Safari/537.36",
            "mobile",
        ),
        ("Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15", "tablet"),
        ("Mozilla/5.0 (Linux; Android 13; SM-X700) AppleWebKit/537.36 Safari/537.36", "tablet"),
        ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/126.0", "desktop"),
        ("Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15", "desktop"),
        ("facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)", "bot"),
        ("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", "bot"),
        # WhatsApp fetches a link's preview as the sender types it.
        ("WhatsApp/2.23.20.0 A", "bot"),
        ("WhatsApp/2.2337.7 i", "bot"),
        # A phone whose model name holds "bot" (the CUBOT brand) is a person...
        (
            "Mozilla/5.0 (Linux; Android 10; CUBOT X30) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/120.0.0.0 Mobile Safari/537.36",
            "mobile",
        ),
        ("Mozilla/5.0 (Linux; Android 9; CUBOT_P30 Build/PPR1.180610.011) Mobile", "mobile"),
        # ...also where an in-app browser or UC Browser names the brand outside the model.
        (
            "Mozilla/5.0 (Linux; Android 10; X30 Build/QP1A.190711.020; wv) AppleWebKit/537.36 "
            "(KHTML, like Gecko) Version/4.0 Chrome/119.0.6045.163 Mobile Safari/537.36 "
            "Instagram 309.0.0.40.113 Android (29/10; 480dpi; 1080x2201; CUBOT; X30; X30; mt6771; "
            "en_US; 541635869)",
            "mobile",
        ),
        (
            "Mozilla/5.0 (Linux; Android 9; X19 Build/PPR1.180610.011; wv) AppleWebKit/537.36 "
            "(KHTML, like Gecko) Version/4.0 Chrome/119.0 Mobile Safari/537.36 [FB_IAB/FB4A;"
            "FBAV/441.0.0.33.113;FBLC/en_US;FBMF/CUBOT;FBBD/CUBOT;FBDV/X19;FBSV/9;]",
            "mobile",
        ),
        (
            "Mozilla/5.0 (Linux; Android 10; X30 Build/QP1A.190711.020; wv) AppleWebKit/537.36 "
            "(KHTML, like Gecko) Version/4.0 Chrome/119.0 Mobile Safari/537.36 "
            "Telegram-Android/10.2.3 (Cubot X30; Android 10; SDK 29; AVERAGE)",
            "mobile",
        ),
        (
            "Mozilla/5.0 (Linux; U; Android 9; en-US; CUBOT X19 Build/PPR1.180610.011) "
            "AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/78.0 UCBrowser/13.4.0.1306 "
            "Mobile Safari/537.36",
            "mobile",
        ),
        # ...and Google's smartphone crawler, which names a phone model too, is a bot.
        (
            "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 "
            "(KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36 (compatible; Googlebot/2.1; "
            "+http://www.google.com/bot.html)",
            "bot",
        ),
        # Each Mastodon server a post reaches fetches its link's preview.
        ("http.rb/5.1.1 (Mastodon/4.2.1; +https://mastodon.social/) Bot", "bot"),
        ("http.rb/5.0.4 (Mastodon/3.5.3; +https://fosstodon.org/)", "bot"),
        ("Mozilla/5.0 (compatible; Embedly/0.2; +http://support.embed.ly/)", "bot"),
        ("Iframely/1.3.1 (+https://iframely.com/docs/about)", "bot"),
        ("", "other"),
        (None, "other"),
        ("SomeTV/1.0", "other"),
    ],  # fmt: skip
    ids=[
        "iphone",
        "android-phone",
        "ipad",
        "android-tablet",
        "windows",
        "mac",
        "fb-preview",
        "googlebot",
        "whatsapp-preview-android",
        "whatsapp-preview-ios",
        "cubot-phone",
        "cubot-phone-build",
        "cubot-instagram-in-app",
        "cubot-facebook-in-app",
        "cubot-telegram-in-app",
        "cubot-uc-browser",
        "googlebot-smartphone",
        "mastodon-preview-bot",
        "mastodon-preview",
        "embedly",
        "iframely",
        "empty",
        "absent",
        "unknown",
    ],  # fmt: skip
)
def test_device_class_is_coarse(user_agent: str | None, device: str) -> None:
    assert device_class(user_agent) == device


def test_a_page_is_found_by_its_username_or_its_id(
    start_receiver: StartReceiver, db_path: Path, tmp_path: Path
) -> None:
    """`pages` maps a username to its page id: ?page= may give either, as everywhere."""
    made = [("1234567890", "shared_ref"), ("otherpage", "shared_ref"), ("acmeshop", "plain_1")]
    register(db_path, *(links.make_link(page, ref) for page, ref in made))
    con = db.connect(db_path)
    try:
        links.learn_page(con, "1234567890", "acmeshop", None)
    finally:
        con.close()
    receiver = start_receiver(ReceiverConfig(tmp_path / "logs", db_path, (SECRET,), TOKEN))
    for path, page, to in (
        ("/r/shared_ref", "AcmeShop", "https://m.me/1234567890?ref=shared_ref"),
        ("/r/shared_ref", "otherpage", "https://m.me/otherpage?ref=shared_ref"),
        ("/r/plain_1", "1234567890", "https://m.me/acmeshop?ref=plain_1"),
    ):
        r = receiver.get(path, params={"page": page})
        assert (r.status_code, r.headers.get("location")) == (302, to), (path, page)
    assert receiver.get("/r/shared_ref", params={"page": "nobody"}).status_code == 404


def test_a_receiver_on_another_programs_duckdb_file_says_so_in_one_line(
    tmp_path: Path, start_receiver: StartReceiver
) -> None:
    """`serve --db` naming another program's DuckDB file logged DuckDB's Catalog Error over
    five lines (its `LINE 1:` and a caret), in its log and in /healthz; it is now one line,
    as the other commands refuse such a file (by its name: /healthz says no folder)."""
    other = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(other)) as con:
        con.execute("CREATE TABLE sales (x INTEGER)")
    receiver = start_receiver(ReceiverConfig(tmp_path / "logs", other, (SECRET,), TOKEN))
    error = receiver.get("/healthz").json()["registry"]["error"]
    assert error == "warehouse.duckdb is not a refscope database (no tracked_links table)", error
