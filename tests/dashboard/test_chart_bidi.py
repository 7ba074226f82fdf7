"""The dashboard's own charts draw a Hebrew or Arabic name (a ref, an ad, a page) in its own
direction, as the reports' charts do: plotly.js draws an SVG text left to right, so the ad
"מבצע אביב!" showed its "!" first. Every page hands its figures to Streamlit through one
place (widgets.chart), which isolates such a text; a Latin name is left as it was."""

from __future__ import annotations

import ast
from pathlib import Path

import pandas as pd
import pytest
from playwright.sync_api import expect, sync_playwright

from dashboard import charts
from ingest import pipeline
from tests import factories as fx
from tests.dashboard.screen import ROOT, plotly_specs, show
from tests.dashboard.test_browser import CHROMIUM, CHROMIUM_ARGS, RENDER_MS, run_dashboard
from tests.dashboard.test_report_html_browser import CHAR_LEFTS

FSI, PDI = "\u2068", "\u2069"  # Unicode's first-strong isolate and its end
HEBREW_AD, ARABIC_REF, LATIN_AD = "מבצע אביב!", "حملة_الربيع", "Spring sale!"


def _rtl_db(tmp_path: Path) -> Path:
    """Two ads, titled in Hebrew and in English, and a ref in Arabic, each with a contact."""
    firsts = [
        fx.postback(referral=fx.ads_referral(ad_id=f"1202000000000000{n}", ad_title=title),
                    psid=f"u{n}", ts=fx.T0 + n * 1000)
        for n, title in enumerate((HEBREW_AD, LATIN_AD))
    ]  # fmt: skip
    firsts.append(fx.postback(referral=fx.referral_obj(ARABIC_REF), psid="u9", ts=fx.T0 + 9000))
    path = tmp_path / "rtl.duckdb"
    log = fx.write_ndjson(tmp_path / "logs" / "w.ndjson", [fx.delivery(f) for f in firsts])
    pipeline.run([str(log)], path)
    return path


def test_every_page_hands_its_figures_to_streamlit_through_one_place():
    """A page calling plotly_chart itself would draw its names left to right again."""
    for page in sorted((ROOT / "dashboard" / "app_pages").glob("*.py")):
        nodes = ast.walk(ast.parse(page.read_text()))
        calls = [n.func.attr for n in nodes if isinstance(n, ast.Call)
                 and isinstance(n.func, ast.Attribute)]  # fmt: skip
        assert "plotly_chart" not in calls, f"{page.name} draws a figure past widgets.chart"


def test_a_right_to_left_name_is_isolated_in_the_figures_the_pages_show(tmp_path, open_app):
    at = show(open_app(_rtl_db(tmp_path)), "ads")
    (contacts,) = [s for s in plotly_specs(at) if "Contacts per ad" in str(s["layout"]["title"])]
    assert sorted(contacts["data"][0]["x"]) == sorted([f"{FSI}{HEBREW_AD}{PDI}", LATIN_AD])
    (refs,) = plotly_specs(show(at, "links"))
    assert list(refs["data"][0]["y"]) == [f"{FSI}{ARABIC_REF}{PDI}"]


def test_a_figure_without_a_right_to_left_text_is_shown_as_made():
    fig = charts.ads_contacts_bar(pd.DataFrame({"ad_title": [LATIN_AD], "new_contacts": [1],
                                                "engaged": [0]}))  # fmt: skip
    assert charts.bidi_isolated(fig) is fig


@pytest.mark.browser
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is missing")
def test_the_ads_page_draws_a_hebrew_title_right_to_left(tmp_path):
    """On the real dashboard in headless Chromium: the "!" the title ends with is drawn left
    of its letters, its first letter rightmost; the English title reads left to right."""
    with run_dashboard(_rtl_db(tmp_path), tmp_path / "dashboard.log") as srv:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                page.set_default_timeout(RENDER_MS)
                page.goto(f"{srv.url}/ads")
                ticks = page.locator(".js-plotly-plot .xtick text")
                expect(ticks.filter(has_text=HEBREW_AD[:4]).first).to_be_visible()
                drawn = {t: ticks.filter(has_text=t[:4]).first for t in (HEBREW_AD, LATIN_AD)}
                texts = {t: el.evaluate("(el) => el.textContent") for t, el in drawn.items()}
                lefts = {t: el.evaluate(CHAR_LEFTS) for t, el in drawn.items()}
            finally:
                browser.close()
    text, at = texts[HEBREW_AD], lefts[HEBREW_AD]
    letters = [left for i, left in enumerate(at) if text[i] not in f"!{FSI}{PDI}"]
    assert at[text.index("!")] < min(letters), (text, at)
    assert at[text.index(HEBREW_AD[0])] == max(letters), (text, at)
    assert lefts[LATIN_AD] == sorted(lefts[LATIN_AD]), lefts[LATIN_AD]
