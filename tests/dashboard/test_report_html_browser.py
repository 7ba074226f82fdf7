"""The HTML report in headless Chromium: a ref as long as a link may carry keeps the page as
wide as the window, the charts drawn."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Page, sync_playwright

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


# Where each character of an element's text is drawn: its left edge in px, in text order.
CHAR_LEFTS = """(el) => {
  const lefts = [];
  const walk = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
  for (let node = walk.nextNode(); node; node = walk.nextNode()) {
    for (let i = 0; i < node.length; i++) {
      const range = document.createRange();
      range.setStart(node, i);
      range.setEnd(node, i + 1);
      lefts.push(range.getBoundingClientRect().left);
    }
  }
  return lefts;
}"""


HEBREW, LATIN, PAGE_NAME = "מבצע אביב!", "Spring sale!", "מאפיית הכרמל"


def _rtl_report(tmp_path: Path) -> Path:
    """The HTML report of two ads, titled in Hebrew and in English, on a page with a Hebrew
    name, filtered to that page."""
    from click.testing import CliRunner

    from dashboard.cli import cli

    firsts = [
        fx.postback(referral=fx.ads_referral(ad_id=f"1202000000000000{n}", ad_title=title),
                    psid=f"u{n}", ts=fx.T0 + n * 1000)
        for n, title in enumerate((HEBREW, LATIN))
    ]  # fmt: skip
    path = tmp_path / "rtl.duckdb"
    pipeline.run([str(fx.write_ndjson(tmp_path / "w.ndjson", [fx.delivery(f) for f in firsts]))],
                 path)  # fmt: skip
    res = CliRunner().invoke(cli, ["pages", "set", fx.PAGE_ID, "--name", PAGE_NAME,
                                   "--db", str(path)])  # fmt: skip
    assert res.exit_code == 0, res.output
    day = dt.datetime.fromtimestamp(fx.T0 / 1000, dt.UTC).date()
    con = db.connect(path, read_only=True)
    try:
        report = reports.gather(reports.connection_fetch(con), Filters(day, day, (fx.PAGE_ID,)))
    finally:
        con.close()
    out = tmp_path / "report.html"
    out.write_bytes(reports.render(report, "html"))
    return out


@contextmanager
def _opened(out: Path) -> Iterator[Page]:
    """out in a page of headless Chromium, 1280 px wide."""
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=HEADLESS_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(out.as_uri())
            yield page
        finally:
            browser.close()


def test_right_to_left_names_read_right_to_left_in_the_html_report(tmp_path):
    """A Hebrew ad title ending in "!" showed the "!" at its start (the cell's direction was
    left to right), and a Hebrew page name in the filters line took the page's "(1122…)" into
    its run, before the name. Each cell now takes the direction of its text, and a page's
    name is isolated in the sentence; a Latin title keeps its cell's left-to-right layout."""
    hebrew, latin, page_name = HEBREW, LATIN, PAGE_NAME
    with _opened(_rtl_report(tmp_path)) as page:
        cells = {t: page.locator("#ads ~ div table td", has_text=t).first for t in (hebrew, latin)}
        lefts = {t: cell.evaluate(CHAR_LEFTS) for t, cell in cells.items()}
        boxes = {t: cell.bounding_box() for t, cell in cells.items()}
        meta = page.locator("p.meta")
        meta_text, meta_lefts = meta.inner_text(), meta.evaluate(CHAR_LEFTS)
    # Right to left: "!" (typed last) leftmost, "מ" (typed first) rightmost.
    assert lefts[hebrew][-1] < min(lefts[hebrew][:-1]), lefts[hebrew]
    assert lefts[hebrew][0] == max(lefts[hebrew]), lefts[hebrew]
    # Left to right, from the cell's left edge (its padding), as before.
    assert lefts[latin] == sorted(lefts[latin]), lefts[latin]
    assert lefts[latin][0] - boxes[latin]["x"] < 15, (lefts[latin][0], boxes[latin])
    # The page's name, then its id: the "(" after the name is drawn right of all of it.
    start = meta_text.index(page_name)
    name_lefts = meta_lefts[start : start + len(page_name)]
    assert meta_lefts[start + len(page_name) + 1] > max(name_lefts), meta_text


def test_a_right_to_left_bar_name_reads_right_to_left_in_the_charts(tmp_path):
    """plotly.js draws a chart's texts left to right: the Ads chart showed the Hebrew title
    "מבצע אביב!" with its "!" first, to its readers. The report's figures set such a text in
    a first-strong isolate, which Chromium draws in the text's own direction (the PDF's charts
    are drawn by the same plotly.js in kaleido's Chromium)."""
    with _opened(_rtl_report(tmp_path)) as page:
        page.wait_for_selector("#chart-ads .main-svg")
        label = page.locator("#chart-ads text", has_text=HEBREW[:4]).first
        text, lefts = label.evaluate("(el) => el.textContent"), label.evaluate(CHAR_LEFTS)
    bang, first = text.index("!"), text.index(HEBREW[0])
    letters = [left for i, left in enumerate(lefts) if text[i] not in "!\u2068\u2069"]
    assert lefts[bang] < min(letters), (text, lefts)
    assert lefts[first] == max(letters), (text, lefts)


def test_the_html_report_fits_a_phone_its_tables_scrolling_in_their_own_box(report, tmp_path):
    """A manager opens the file on a phone: without a viewport the phone laid it out 980 px wide
    and shrank it, and a table of many columns (Top refs, Ads) widened the whole page past the
    screen; each table now scrolls sideways on its own."""
    out = tmp_path / "report.html"
    out.write_bytes(reports.render(report, "html"))
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=HEADLESS_ARGS)
        try:
            phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
            page = phone.new_page()
            page.goto(out.as_uri())
            page.wait_for_selector("#chart-refs .main-svg")
            scroll, client = page.evaluate(
                "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
            )
            # The tables are there whole, wider than the screen, each in a box that scrolls.
            widths = page.eval_on_selector_all(
                "table",
                "ts => ts.map(t => [t.scrollWidth, t.parentElement.scrollWidth, "
                "t.parentElement.clientWidth, getComputedStyle(t.parentElement).overflowX])",
            )
        finally:
            browser.close()
    assert client == 390
    assert scroll <= client, f"the page is {scroll} px wide on a {client} px screen"
    wide = [w for w in widths if w[0] > client]
    assert wide, "no table is wider than the screen: nothing tested"
    assert all(box > shown and overflow == "auto" for _, box, shown, overflow in wide), widths
