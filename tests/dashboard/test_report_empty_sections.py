"""A report section with no rows says plainly that the period had none, naming the period and
the filters, in the same words in the HTML, the XLSX and the PDF report: "No data in this
range." left a reader of one sheet or one page asking which range, of which pages."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pypdf
import pytest

from dashboard import reports
from dashboard.filters import Filters
from dashboard.report_xlsx import sheet_name
from tests import factories as fx
from tests.dashboard.conftest import opened

# The small database's one event of 2023-11-15 is a QR re-entry: no new contact, ad or comment.
DAY = dt.date(2023, 11, 15)
ONE_PAGE = Filters(DAY, DAY, (fx.PAGE_ID,))
WHEN = f"in 2023-11-15 – 2023-11-15 (pages: Acme Bakery ({fx.PAGE_ID}), channels: all)"


@pytest.fixture
def report(small_db) -> reports.Report:
    with opened(small_db) as c:
        return reports.gather(reports.connection_fetch(c), ONE_PAGE)


def test_each_empty_section_names_the_period_and_the_filters(report):
    empty = {s.key: s.empty_note for s in report.sections if s.empty}
    assert empty == {
        "daily": f"No new contacts {WHEN}.",
        "funnel": f"No comments or private replies {WHEN}.",
        "retention": f"No new contacts {WHEN}.",
    }


def test_a_period_of_nothing_says_what_each_section_had_none_of(small_db):
    """Channels and retention said "No data in this range."."""
    quiet = Filters(dt.date(2023, 11, 25), dt.date(2023, 11, 26))  # no event, no ad spend
    with opened(small_db) as c:
        report = reports.gather(reports.connection_fetch(c), quiet)
    when = "in 2023-11-25 – 2023-11-26 (pages: all, channels: all)"
    assert {s.key: s.empty_note for s in report.sections} == {
        "daily": f"No new contacts {when}.",
        "channels": f"No new contacts or re-entries {when}.",
        "refs": f"No m.me link or QR code referrals {when}.",
        "placements": f"No QR code contacts {when}.",
        "ads": f"No Click-to-Messenger contacts or ad spend {when}.",
        "funnel": f"No comments or private replies {when}.",
        "retention": f"No new contacts {when}.",
    }


def test_every_format_says_it_in_the_same_words(report):
    notes = [s.empty_note for s in report.sections if s.empty]
    html = reports.render(report, "html").decode()
    assert all(n in html for n in notes), notes
    book = openpyxl.load_workbook(io.BytesIO(reports.render(report, "xlsx")))
    assert [book[sheet_name(s.title)]["A2"].value for s in report.sections if s.empty] == notes
    if not reports.pdf_available():
        pytest.skip("the PDF's charts need Chromium")
    pdf = pypdf.PdfReader(io.BytesIO(reports.render(report, "pdf")))
    text = " ".join(" ".join(p.extract_text().split()) for p in pdf.pages)
    assert all(n in text for n in notes), text
