"""The XLSX report's native charts name each bar apart, as the HTML and PDF reports' charts
(charts.ref_bars, charts.ad_bars): a ref two pages share, two ads of one title."""

from __future__ import annotations

import io
import re
import zipfile

import openpyxl
import pandas as pd

from dashboard import report_data, reports
from dashboard.filters import Filters
from dashboard.report_model import Report
from tests.dashboard.chart_setup import D1, D2

REFS = pd.DataFrame({"ref": ["spring", "spring", "menu"], "page_id": ["1", "2", "1"],
                     "page": ["Acme Bakery", "Northwind", "Acme Bakery"],
                     "channel": ["qr_code", "qr_code", "m_me_link"],
                     "new_contacts": [30, 20, 10], "engaged": [5, 4, 3]})  # fmt: skip
ADS = pd.DataFrame({"ad_id": ["61", "62", "63"], "ad_title": ["Sourdough", "Sourdough", "Rye"],
                    "new_contacts": [12, 11, 9], "engaged": [1, 0, 2], "spend": [None] * 3,
                    "cost_per_contact": [None] * 3, "cost_per_engaged": [None] * 3,
                    "conversations_started": [None] * 3})  # fmt: skip


def _chart_categories(sections: tuple[report_data.Section, ...]) -> dict[str, list[object]]:
    """Each chart's title and the names on its category axis, read from the cells it names."""
    data = reports.render(Report(Filters(D1, D2), (), sections), "xlsx")
    book = openpyxl.load_workbook(io.BytesIO(data))
    out = {}
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        for name in sorted(n for n in z.namelist() if re.fullmatch(r"xl/charts/chart\d+\.xml", n)):
            xml = z.read(name).decode()
            title = "".join(re.findall(r"<a:t>(.*?)</a:t>", xml))
            (cat,) = set(re.findall(r"<c:cat>.*?<c:f>(.*?)</c:f>", xml, re.S))
            sheet, first, last = re.fullmatch(r"'?(.+?)'?!\$(\w+\$\d+):\$(\w+\$\d+)", cat).groups()
            cells = book[sheet][first.replace("$", "") : last.replace("$", "")]
            out[title] = [row[0].value for row in cells]
    return out


def test_a_ref_two_pages_share_is_two_bars_named_with_their_pages():
    """Both were "spring": one could not tell which bar was which page's flyer."""
    sections = (report_data._refs(REFS), report_data._ads(ADS))
    assert _chart_categories(sections) == {
        "Top refs": ["spring · Acme Bakery", "spring · Northwind", "menu"],
        "Ads": ["Sourdough · 61", "Sourdough · 62", "Rye"],
    }


def test_refs_of_one_page_each_name_their_bars_from_the_refs_sheet():
    sections = (report_data._refs(REFS.iloc[1:]),)
    assert _chart_categories(sections) == {"Top refs": ["spring", "menu"]}
    data = reports.render(Report(Filters(D1, D2), (), sections), "xlsx")
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert "<c:f>'Top refs'!$A$2:$A$3</c:f>" in z.read("xl/charts/chart1.xml").decode()
