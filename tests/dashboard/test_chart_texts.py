"""The shares written on the charts themselves (pie slices, funnel stages, heatmap cells) as
their hovers and the tables write them: half up, never plotly.js's own rounding of the binary
double; and the pie's legend a key that cannot hide a slice its shares would not follow."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pandas as pd
import pytest

from dashboard import charts, report_pdf
from dashboard.chromium import chromium_path
from dashboard.rounding import pct_text, pct_whole_text


def test_channel_mix_legend_cannot_hide_a_slice():
    """A click on a legend item hid its slice: plotly.js drew the others round the whole donut
    while their hovers (computed here, of every new contact) kept their shares of all: 29 and
    171 new contacts, the QR slice hidden, left one full ring whose hover said 85.5%."""
    fig = charts.channel_mix_pie(
        pd.DataFrame({"channel": ["qr_code", "organic"], "new_contacts": [29, 171]})
    )
    legend = fig.layout.legend
    assert (legend.itemclick, legend.itemdoubleclick) == (False, False)
    assert (legend.orientation, legend.yref, legend.y) == ("h", "container", 0)  # still below


# 29 of 200 is 14.5% in every hover and table; plotly.js's own texts (%{percent:.0%},
# "percent initial", %{z:.0%}) wrote 14%, rounding the binary double 14.499999999999998.
PIE = pd.DataFrame({"channel": ["qr_code", "organic"], "new_contacts": [29, 171]})
FUNNEL = pd.DataFrame({"comments": [2000], "private_replies": [290], "conversations": [1234]})
COHORT = pd.DataFrame({"cohort_week": [pd.Timestamp("2026-11-02")], "channel": ["qr_code"],
                       "contacts": [200], "week_1": [0.145], "past_week_1": [200],
                       "week_2": [0.2875], "past_week_2": [200], "week_4": [None],
                       "past_week_4": [0]})  # fmt: skip


def test_a_whole_percent_is_the_hovers_figure_rounded_half_up():
    assert [pct_whole_text(v) for v in (0.145, 0.855, 0.2875, 0.005, 0.0, 1.0)] == [
        "15%", "86%", "29%", "1%", "0%", "100%"]  # fmt: skip
    # Of the figure the hover shows: 14.49% is 14.5% there, so 15% on the chart, not 14%.
    assert (pct_text(0.1449), pct_whole_text(0.1449)) == ("14.5%", "15%")


def test_pie_slices_say_the_hovers_share_rounded_half_up():
    (pie,) = charts.channel_mix_pie(PIE).data
    assert list(pie.customdata) == ["14.5%", "85.5%"]  # the hovers
    assert (pie.texttemplate, list(pie.text)) == ("%{text}", ["15%", "86%"])


def test_funnel_stages_say_their_share_of_the_comments_rounded_half_up():
    (funnel,) = charts.comments_funnel(FUNNEL).data
    assert [row[0] for row in funnel.customdata] == ["100.0%", "14.5%", "61.7%"]  # the hovers
    assert funnel.textinfo == "text"
    assert list(funnel.text) == ["2,000<br>100%", "290<br>15%", "1,234<br>62%"]
    # No comment to be a share of: the counts alone (plotly.js drew "290 Infinity%").
    (none,) = charts.comments_funnel(FUNNEL.assign(comments=[0])).data
    assert list(none.text) == ["0", "290", "1,234"]


def test_heatmap_cells_say_the_hovers_share_rounded_half_up():
    (heat,) = charts.cohort_heatmap(COHORT).data
    assert [list(r) for r in heat.customdata] == [["14.5%", "28.8%", ""]]  # the hovers
    assert heat.texttemplate == "%{text}"
    assert [list(r) for r in heat.text] == [["15%", "29%", ""]]  # a week not over: blank


SVG = "{http://www.w3.org/2000/svg}"


def _texts(svg: ET.Element, kind: str) -> list[str]:
    """The texts plotly.js wrote in the groups of class kind, each text's lines joined by |."""
    return ["|".join(t.itertext()) for g in svg.iter(f"{SVG}g")
            if kind in (g.get("class") or "").split() for t in g.iter(f"{SVG}text")]  # fmt: skip


@pytest.mark.skipif(chromium_path() is None, reason="plotly.js draws in Chromium")
def test_drawn_charts_show_the_hovers_shares():
    """As plotly.js draws them (kaleido, as the PDF report's charts): 15%, where its own
    formats drew 14% for 14.5%."""
    figs = [charts.channel_mix_pie(PIE), charts.comments_funnel(FUNNEL),
            charts.cohort_heatmap(COHORT)]  # fmt: skip
    pie, funnel, heat = (ET.fromstring(s) for s in report_pdf.drawn(figs, {"format": "svg"}))
    assert _texts(pie, "slicetext") == ["15%", "86%"]
    assert _texts(funnel, "point") == ["2,000|100%", "290|15%", "1,234|62%"]
    assert _texts(heat, "hm") == ["15%", "29%"]


# Channels contacts only came back through in the range: in channel_totals, with no new contact.
CAME_BACK = pd.DataFrame({"channel": ["qr_code", "organic", "ctm_ad", "m_me_link"],
                          "new_contacts": [5, 3, 0, 0]})  # fmt: skip


def test_a_channel_without_new_contacts_has_no_slice():
    (pie,) = charts.channel_mix_pie(CAME_BACK).data
    assert list(pie.labels) == ["QR code", "Organic"]
    assert (list(pie.values), list(pie.text)) == ([5, 3], ["63%", "38%"])
    assert list(pie.customdata) == ["62.5%", "37.5%"]


@pytest.mark.skipif(chromium_path() is None, reason="plotly.js draws in Chromium")
def test_a_channel_without_new_contacts_draws_no_zero_share():
    """plotly.js drew a "0%" for each channel without a new contact, one over the other at the
    donut's seam, and listed them in the legend."""
    (pie,) = (ET.fromstring(s) for s in report_pdf.drawn([charts.channel_mix_pie(CAME_BACK)],
                                                          {"format": "svg"}))  # fmt: skip
    assert _texts(pie, "slicetext") == ["63%", "38%"]
    assert _texts(pie, "traces") == ["QR code", "Organic"]  # the legend


@pytest.mark.browser
@pytest.mark.skipif(chromium_path() is None, reason="plotly.js runs in Chromium")
def test_a_click_on_the_channel_mix_legend_leaves_every_slice_drawn(tmp_path):
    """In the browser, as the dashboard and the HTML report show it: a click on "QR code" in
    the legend hid its slice, and the organic slice, drawn as the whole ring, kept its 86%.
    The page's clock is Playwright's: plotly.js's wait for a double click is run through, not
    slept."""
    from playwright.sync_api import sync_playwright

    from dashboard.chromium import HEADLESS_ARGS

    page_file = tmp_path / "pie.html"
    charts.channel_mix_pie(PIE).write_html(page_file, include_plotlyjs=True)
    slices = "Array.from(document.querySelectorAll('g.slice')).map(g => g.textContent)"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=HEADLESS_ARGS)
        try:
            page = browser.new_page(viewport={"width": 800, "height": 600})
            page.clock.install()
            page.goto(page_file.as_uri())
            page.wait_for_selector("g.slice")
            before = page.evaluate(slices)
            page.locator(".legend .traces", has_text="QR code").click()
            page.clock.run_for(2000)  # past plotly.js's 300 ms wait for a second click
            after = page.evaluate(slices)
        finally:
            browser.close()
    assert before == ["15%", "86%"], before
    assert after == before


# A stage of 0 (no private reply sent yet) and funnels of no comment at all.
NO_REPLY = FUNNEL.assign(private_replies=[0], conversations=[0])
ALL_ZERO = FUNNEL.assign(comments=[0], private_replies=[0], conversations=[0])
NO_POST = FUNNEL.head(0)


def test_a_funnel_stage_of_zero_says_its_count():
    """plotly.js draws no bar for a stage of 0, and with it no text: the stage was blank."""
    fig = charts.comments_funnel(NO_REPLY)
    zeros = [(a.y, a.text) for a in fig.layout.annotations if a.name == "zero stage"]
    assert zeros == [("Private replies sent", "0<br>0%"), ("Conversations opened", "0<br>0%")]
    assert not [a for a in fig.layout.annotations if a.name == "no comment"]
    (first,) = [a.y for a in charts.comments_funnel(FUNNEL.assign(comments=[0])).layout.annotations]
    assert first == "Comments received"
    assert not charts.comments_funnel(FUNNEL).layout.annotations


@pytest.mark.parametrize("df", [ALL_ZERO, NO_POST], ids=["all-zero", "no-rows"])
def test_a_funnel_of_nothing_says_so(df):
    (note,) = charts.comments_funnel(df).layout.annotations
    assert (note.name, note.text) == (
        "no comment", "No comments, private replies or conversations in this range.")  # fmt: skip


@pytest.mark.skipif(chromium_path() is None, reason="plotly.js draws in Chromium")
def test_drawn_funnels_show_every_stage_count():
    """As plotly.js draws them: the stage of 0 has its "0", a funnel of nothing its note."""
    figs = [charts.comments_funnel(df) for df in (NO_REPLY, ALL_ZERO)]
    no_reply, nothing = (ET.fromstring(s) for s in report_pdf.drawn(figs, {"format": "svg"}))
    assert _texts(no_reply, "point") == ["2,000|100%"]  # the bar's own text
    assert _texts(no_reply, "annotation") == ["0|0%", "0|0%"]
    assert _texts(nothing, "point") == []
    assert _texts(nothing, "annotation") == [
        "No comments, private replies or conversations in this range."]  # fmt: skip


# One of each count a hover names, and two: "1 new contacts" was a template's "%{y:,} new contacts".
ONE_DAY = pd.DataFrame({"day": [pd.Timestamp("2026-11-02")] * 2, "channel": ["qr_code", "organic"],
                        "contacts": [1, 2]})  # fmt: skip
ONE_REF = pd.DataFrame({"page_id": ["p1", "p1"], "ref": ["a", "b"], "channel": ["qr_code"] * 2,
                        "new_contacts": [2, 1], "engaged": [1, 0]})  # fmt: skip
ONE_AD = pd.DataFrame({"ad_id": ["1", "2"], "ad_title": ["Rye", "Spelt"], "new_contacts": [1, 2],
                       "engaged": [1, 0], "spend": [3.0, 4.0],
                       "cost_per_contact": [3.0, 2.0]})  # fmt: skip
ONE_GUEST = pd.DataFrame({"referer_uri": ["https://a.example/", "https://b.example/"],
                          "new_contacts": [3, 2], "guests": [1, 2]})  # fmt: skip


def _hovers(fig) -> list[list[str]]:
    return [list(t.hovertext) for t in fig.data if "%{hovertext}" in (t.hovertemplate or "")]


def test_hover_counts_read_right_for_one_and_many():
    assert _hovers(charts.new_contacts_by_day_bar(ONE_DAY)) == [
        ["1 new contact"],
        ["2 new contacts"],
    ]
    mix = ONE_DAY.rename(columns={"contacts": "new_contacts"})
    assert _hovers(charts.channel_mix_pie(mix)) == [["1 new contact", "2 new contacts"]]
    # Drawn from the bottom up: the top ref last.
    assert _hovers(charts.refs_bar(ONE_REF)) == [["1 new contact, 0 engaged",
                                                  "2 new contacts, 1 engaged"]]  # fmt: skip
    assert _hovers(charts.ads_cost_bar(ONE_AD)) == [["1 contact", "2 contacts"]]  # as given
    assert _hovers(charts.ads_contacts_bar(ONE_AD)) == [["1 new contact", "2 new contacts"]]
    assert _hovers(charts.website_pages_bar(ONE_GUEST)) == [["2 guests", "1 guest"]]


@pytest.mark.browser
@pytest.mark.skipif(chromium_path() is None, reason="plotly.js runs in Chromium")
def test_a_hover_of_one_says_it_in_the_singular(tmp_path):
    """As the dashboard shows it, plotly.js filling in the template."""
    from playwright.sync_api import sync_playwright

    from dashboard.chromium import HEADLESS_ARGS

    figs = {"g.point path": charts.new_contacts_by_day_bar(ONE_DAY.head(1)),
            "g.slice path": charts.channel_mix_pie(PIE.assign(new_contacts=[1, 3]))}  # fmt: skip
    said = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=HEADLESS_ARGS)
        try:
            page = browser.new_page(viewport={"width": 800, "height": 600})
            for i, (mark, fig) in enumerate(figs.items()):
                fig.write_html(tmp_path / f"{i}.html", include_plotlyjs=True)
                page.goto((tmp_path / f"{i}.html").as_uri())
                page.locator(mark).first.hover(force=True)
                page.wait_for_selector("g.hoverlayer text")
                said.append(
                    page.evaluate(
                        "Array.from(document.querySelectorAll("
                        "'g.hoverlayer text'), t => t.textContent).join('|')"
                    )
                )
        finally:
            browser.close()
    assert "QR code : 1 new contact" in said[0], said
    assert "1 new contacts" not in said[0]
    assert "QR code: 1 new contact (25.0%)" in said[1], said
