"""Names from the data (refs, page names, ad titles, website pages) on the charts as given:
plotly.js reads <b>, <br>, <i>, <a> in any text as markup, and drew a ref "<b>x</b>" as a bold
x and "a<br>b" on two lines. The charts are drawn by plotly.js (kaleido's Chromium) and their
tick labels read from the SVG."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pandas as pd
import plotly.graph_objects as go
import pytest

from dashboard import charts, report_pdf
from dashboard.chromium import chromium_path

pytestmark = pytest.mark.skipif(chromium_path() is None, reason="plotly.js draws in Chromium")

SVG = "{http://www.w3.org/2000/svg}"
REF = "<b>bold</b> & co"
PAGE = "Acme<br>Bakery"
LONG = "<i>" + "spring-flyer-" * 5 + "</i>"  # over LABEL_CHARS: cut in the middle
AD = "<a href='https://x.example'>50% off</a>"
URI = "https://acme.example/?q=<sup>2</sup>"


def drawn(figs: list[go.Figure]) -> list[ET.Element]:
    """Each figure as plotly.js draws it: its SVG, drawn as the PDF's charts are (a chart kaleido
    ran before its page had loaded is drawn again)."""
    return [ET.fromstring(svg) for svg in report_pdf.drawn(figs, {"format": "svg"})]


def ticks(svg: ET.Element, axis: str) -> list[str]:
    """The tick labels of axis ("xtick", "ytick") as shown; each must be one plain line."""
    out = []
    for g in svg.iter(f"{SVG}g"):
        if g.get("class") == axis:
            (text,) = g.iter(f"{SVG}text")
            lines = [t for t in text.iter(f"{SVG}tspan") if t.get("class") == "line"]
            assert len(lines) <= 1, ET.tostring(text)  # <br> broke the line
            styled = [t.get("style") for t in text.iter(f"{SVG}tspan") if t.get("style")]
            assert styled == [], ET.tostring(text)  # <b>, <i>, <sup> styled the name
            out.append("".join(text.itertext()))
    return out


def test_names_with_markup_are_shown_as_given():
    refs = pd.DataFrame({"page_id": ["p1", "p2", "p1"], "page": [PAGE, "Other", PAGE],
                         "ref": [REF, REF, LONG], "channel": ["qr_code"] * 3,
                         "new_contacts": [5, 4, 3], "engaged": [1, 1, 1]})  # fmt: skip
    ads = pd.DataFrame({"ad_title": [AD, REF], "ad_id": ["1", "2"], "new_contacts": [2, 0],
                        "engaged": [1, 0], "cost_per_contact": [1.5, None],
                        "spend": [3.0, 2.0]})  # fmt: skip
    sites = pd.DataFrame({"referer_uri": [URI], "new_contacts": [3], "guests": [1]})
    refs_svg, cost_svg, ads_svg, sites_svg = drawn([
        charts.refs_bar(refs), charts.ads_cost_bar(ads, "USD"), charts.ads_contacts_bar(ads),
        charts.website_pages_bar(sites),
    ])  # fmt: skip
    cut = LONG[:32] + "…" + LONG[-15:]
    assert sorted(ticks(refs_svg, "ytick")) == sorted([f"{REF} · {PAGE}", f"{REF} · Other", cut])
    assert ticks(cost_svg, "xtick") == [AD, REF]
    assert ticks(ads_svg, "xtick") == [AD, REF]
    assert ticks(sites_svg, "ytick") == [URI]
