"""Links & QR codes under a channel filter, in a real browser: a ref's clicks and scans count
under the channel its link is registered as, the channel its contacts through the link are
counted in (a SHORTLINK of a ref registered as a QR code is a QR code's contact), as its
contacts and re-entries follow the filter. A ref registered as an m.me link that also brought
a contact through a legacy Messenger code showed its link's clicks under "QR code" too, each
contact there "per click" of a link nobody scanned."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from ingest import clicklog, db, links, pipeline
from tests import factories as fx
from tests.dashboard import test_browser as tb

pytestmark = tb.pytestmark
browser = tb.browser

DAY = fx.utc(fx.T0).date() + dt.timedelta(days=2)
ON_DAY = fx.T0 + fx.DAY + 2 * fx.HOUR  # 00:13 UTC on DAY
CODE = "MESSENGER_CODE"
# (ref, qr) of each click on DAY: promo is an m.me link, clicked 5 times; door a QR code,
# scanned twice and once opened from its URL typed without qr=1 (its contacts are the code's).
CLICKS = [("promo", False)] * 5 + [("door", True)] * 2 + [("door", False)]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tb.Server]:
    """promo brings two contacts through its link and one through a legacy code (qr_code);
    door one through its code; one contact comes earlier, the data's first day before DAY."""
    root = tmp_path_factory.mktemp("channel-clicks")
    items = [fx.postback(referral=fx.referral_obj("promo"), psid="l1", ts=ON_DAY),
             fx.postback(referral=fx.referral_obj("promo"), psid="l2", ts=ON_DAY + fx.MINUTE),
             fx.postback(referral=fx.referral_obj("promo", CODE), psid="c1",
                         ts=ON_DAY + 2 * fx.MINUTE),
             fx.postback(referral=fx.referral_obj("door"), psid="d1", ts=ON_DAY + fx.HOUR),
             fx.postback(psid="early", ts=fx.T0)]  # fmt: skip
    fx.write_ndjson(root / "logs" / "w.ndjson", [fx.delivery(i) for i in items])
    (root / "logs" / "clicks.ndjson").write_bytes(b"".join(
        clicklog.click_line(ON_DAY - fx.MINUTE + i, ref, fx.PAGE_ID, qr, "mobile")
        for i, (ref, qr) in enumerate(CLICKS)))  # fmt: skip
    path = root / "refscope.duckdb"
    con = db.connect(path)
    try:
        links.register(con, [links.make_link(fx.PAGE_ID, "promo"),
                             links.make_link(fx.PAGE_ID, "door", channel="qr")])  # fmt: skip
    finally:
        con.close()
    pipeline.run([str(root / "logs")], path)
    with tb.run_dashboard(path, root / "dashboard.log") as srv:
        yield srv


@pytest.fixture
def page(browser: Browser, server: tb.Server, request: pytest.FixtureRequest) -> Iterator[Page]:
    yield from tb.open_page(browser, server, request)


def _rows(page: Page, server: tb.Server, channel: str) -> dict[str, tuple[str, ...]]:
    """Each ref's (channel, new contacts, clicks, scans) in the page's CSV download, under the
    channel filter (empty: all channels)."""
    chosen = f"&channel={channel}" if channel else ""
    page.goto(f"{server.url}/links?range=Custom&from={DAY}&to={DAY}{chosen}")
    tb.finished(page, "Links & QR codes", '[data-testid="stDataFrame"]', 1)
    with page.expect_download() as download:
        page.get_by_role("button", name="Download CSV").first.click()
    text = Path(download.value.path()).read_bytes().decode("utf-8-sig")
    lines = [line for line in text.splitlines() if not line.startswith("#")]
    return {r["ref"]: (r["channel"], r["new_contacts"], r["clicks"], r["scans"])
            for r in csv.DictReader(io.StringIO("\n".join(lines)))}  # fmt: skip


@pytest.mark.parametrize(
    "channel, want",
    [("", {"promo": ("qr_code", "3", "5", "0"), "door": ("qr_code", "1", "3", "2")}),
     ("m_me_link", {"promo": ("m_me_link", "2", "5", "0")}),
     ("qr_code", {"promo": ("qr_code", "1", "0", "0"), "door": ("qr_code", "1", "3", "2")})],
    ids=["all", "link", "qr"],
)  # fmt: skip
def test_a_refs_clicks_and_scans_follow_the_channel_filter(page, server, channel, want):
    assert _rows(page, server, channel) == want
