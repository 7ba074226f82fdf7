"""Axes of counts in whole numbers: with few contacts, plotly.js (and Excel) spaced a scale's
ticks by a half or a fifth, "0.5 new contacts", in the dashboard's charts and the reports'."""

from __future__ import annotations

import io
import re
import zipfile

import pandas as pd
import plotly.graph_objects as go
import pytest

from dashboard import charts, report_data, reports
from dashboard.chromium import chromium_path
from dashboard.filters import Filters
from dashboard.report_model import Report
from tests.dashboard.chart_setup import D1, D2
from tests.dashboard.test_charts_markup import drawn, ticks

RANGE = Filters(D1, D2)
DAILY = pd.DataFrame({"day": pd.to_datetime([D1, D1, D2]),
                      "channel": ["qr_code", "m_me_link", "qr_code"],
                      "contacts": [1, 1, 1]})  # fmt: skip
REFS = pd.DataFrame({"ref": ["a", "b"], "page_id": ["1", "1"], "channel": ["qr_code"] * 2,
                     "new_contacts": [3, 1], "engaged": [1, 0]})  # fmt: skip
ADS = pd.DataFrame({"ad_id": ["1", "2"], "ad_title": ["Sourdough", "Croissant"],
                    "new_contacts": [2, 1], "engaged": [1, 0], "spend": [None, None],
                    "cost_per_contact": [None, None], "cost_per_engaged": [None, None],
                    "conversations_started": [None, None]})  # fmt: skip
PAGES = pd.DataFrame({"referer_uri": ["https://a.example/"], "new_contacts": [2], "guests": [1]})


def _count_axes(scale: int) -> dict[str, go.layout.YAxis | go.layout.XAxis]:
    """Each count chart's axis of counts, for counts of that scale."""
    daily = DAILY.assign(contacts=DAILY["contacts"] * scale)
    refs = REFS.assign(new_contacts=REFS["new_contacts"] * scale)
    ads = ADS.assign(new_contacts=ADS["new_contacts"] * scale)
    pages = PAGES.assign(new_contacts=PAGES["new_contacts"] * scale)
    return {
        "daily": charts.new_contacts_by_day_bar(daily, D1, D2).layout.yaxis,
        "refs": charts.refs_bar(refs).layout.xaxis,
        "ads": charts.ads_contacts_bar(ads).layout.yaxis,
        "website": charts.website_pages_bar(pages).layout.xaxis,
    }


def test_a_count_axis_of_a_few_contacts_has_a_tick_per_whole_number():
    for name, axis in _count_axes(1).items():
        assert (axis.tick0, axis.dtick) == (0, 1), name


@pytest.mark.skipif(chromium_path() is None, reason="plotly.js draws in Chromium")
def test_a_few_contacts_are_drawn_on_whole_number_ticks():
    """As plotly.js draws them: "0.5" and "1.5" were among the ticks of each."""
    axes = _count_axes(1)
    svgs = drawn([charts.new_contacts_by_day_bar(DAILY, D1, D2), charts.refs_bar(REFS),
                  charts.ads_contacts_bar(ADS), charts.website_pages_bar(PAGES)])  # fmt: skip
    for (name, axis), svg in zip(axes.items(), svgs, strict=True):
        shown = ticks(svg, f"{axis.plotly_name[0]}tick")
        assert shown and all(t.isdigit() for t in shown), (name, shown)
        assert [int(t) for t in shown] == list(range(len(shown))), (name, shown)


def test_a_count_axis_of_many_contacts_keeps_plotlys_own_ticks():
    """Beyond ten a scale of at most ten ticks steps by 1 or more: a tick per number would
    crowd it."""
    for name, axis in _count_axes(100).items():
        assert axis.dtick is None, name


@pytest.fixture
def xlsx_charts() -> dict[str, str]:
    """The XLSX report's chart XML of each section, for a range of few contacts."""
    comments = pd.DataFrame({"post_id": ["1_1"], "comments": [3], "private_replies": [2],
                             "conversations": [1]})  # fmt: skip
    sections = (report_data._daily(DAILY, RANGE), report_data._refs(REFS.assign(page="Acme")),
                report_data._ads(ADS), report_data._funnel(comments))  # fmt: skip
    data = reports.render(Report(RANGE, (), sections), "xlsx")
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        xml = [z.read(n).decode() for n in sorted(z.namelist())
               if re.fullmatch(r"xl/charts/chart\d+\.xml", n)]  # fmt: skip
    return dict(zip(["daily", "refs", "ads", "funnel"], xml, strict=True))


def test_the_xlsx_reports_count_axes_have_a_gridline_per_whole_number(xlsx_charts):
    for name, xml in xlsx_charts.items():
        (value_axis,) = re.findall(r"<c:valAx>.*?</c:valAx>", xml, re.S)
        assert '<c:majorUnit val="1"/>' in value_axis, name
        assert '<c:min val="0"/>' in value_axis, name
