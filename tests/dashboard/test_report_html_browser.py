"""The HTML report in headless Chromium: a ref as long as a link may carry keeps the page as
wide as the window, the charts drawn."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from dashboard import reports
from dashboard.chromium import HEADLESS_ARGS, INSTALL_HINT, chromium_path
from dashboard.filters import Filters
from ingest import db, pipeline
from ingest.link_rules import REF_MAX
from tests import factories as fx

CHROMIUM = chromium_path() or "/usr/bin/chromium"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is missing: {INSTALL_HINT}"
    ),
]


def test_a_long_ref_wraps_in_the_html_report_instead_of_widening_the_page(tmp_path):
    long_ref = "spring_" + "x" * (REF_MAX - 7)  # one word of the longest ref refscope registers
    lines = []
    for i, ref in enumerate((long_ref, "bio_link")):
        psid, ts = f"61{i:014d}", fx.T0 + i * fx.HOUR
        lines.append(fx.delivery(fx.postback(referral=fx.referral_obj(ref), psid=psid, ts=ts)))
        lines.append(fx.delivery(fx.message("hi", psid=psid, ts=ts + fx.MINUTE)))
    path = tmp_path / "long.duckdb"
    pipeline.run([str(fx.write_ndjson(tmp_path / "webhooks.ndjson", lines))], path)
    day = dt.datetime.fromtimestamp(fx.T0 / 1000, dt.UTC).date()
    con = db.connect(path, read_only=True)
    try:
        report = reports.gather(reports.connection_fetch(con), Filters(day, day))
    finally:
        con.close()
    out = tmp_path / "report.html"
    out.write_bytes(reports.render(report, "html"))
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=HEADLESS_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(out.as_uri())
            page.wait_for_selector("#chart-refs .main-svg")
            assert page.get_by_text(long_ref, exact=True).count() == 1  # in the table, whole
            scroll, client = page.evaluate(
                "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
            )
        finally:
            browser.close()
    assert scroll <= client, f"the page is {scroll} px wide in a {client} px window"
