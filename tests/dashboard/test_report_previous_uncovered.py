"""A report at the data's start: its previous period lies before the first log, so its key
figures' previous value and change are "—". The Overview says why ("previous period not fully
covered"); every report format says it below the key figures too, with the period and the
data's first day, not a row of bare dashes a manager cannot read."""

from __future__ import annotations

import datetime as dt
import io
import re

import openpyxl
import pypdf

from dashboard import reports
from dashboard.filters import Filters
from ingest import pipeline
from tests import factories as fx
from tests.dashboard.conftest import opened
from tests.dashboard.report_setup import needs_chromium

FIRST = fx.utc(fx.T0).date()
WEEK = Filters(FIRST, FIRST + dt.timedelta(days=6))  # the data's first week
PREVIOUS = f"{FIRST - dt.timedelta(days=7)} – {FIRST - dt.timedelta(days=1)}"
NOTE = (f"Previous period not fully covered: {PREVIOUS} starts before the data's first day "
        f"({FIRST}), so New contacts, Engaged contacts, Engaged rate and Reachable at the end "
        "(24 h) have no figure there to compare with (—).")  # fmt: skip


def _report(db_path, f: Filters) -> reports.Report:
    """14 days of data, a new contact each day."""
    lines = [fx.delivery(fx.postback(referral=fx.referral_obj("flyer"), psid=f"79{n:014d}",
                                     ts=fx.T0 + n * fx.DAY)) for n in range(14)]  # fmt: skip
    pipeline.run([str(fx.write_ndjson(db_path.parent / "logs" / "w.ndjson", lines))], db_path)
    with opened(db_path) as c:
        return reports.gather(reports.connection_fetch(c), f)


def _html_text(report: reports.Report) -> str:
    html = reports.render(report, "html").decode()
    return " ".join(re.sub(r"<[^>]+>", " ", html.replace("&#x27;", "'")).split())


def test_the_first_weeks_report_says_why_its_previous_period_has_no_figures(db_path):
    report = _report(db_path, WEEK)
    new = next(k for k in report.kpis if k.key == "new_contacts")
    assert (new.value, new.previous, new.change) == (7, None, None)
    assert NOTE in report.kpi_notes
    assert NOTE in _html_text(report)
    book = openpyxl.load_workbook(io.BytesIO(reports.render(report, "xlsx")))
    assert NOTE in [r[0] for r in book["Summary"].iter_rows(values_only=True)]


@needs_chromium
def test_the_first_weeks_pdf_says_why(db_path):
    pdf = pypdf.PdfReader(io.BytesIO(reports.render(_report(db_path, WEEK), "pdf")))
    assert NOTE in " ".join(" ".join(p.extract_text() for p in pdf.pages).split())


def test_a_report_whose_previous_period_the_data_covers_has_no_such_note(db_path):
    report = _report(db_path, Filters(FIRST + dt.timedelta(days=7), FIRST + dt.timedelta(days=13)))
    new = next(k for k in report.kpis if k.key == "new_contacts")
    assert (new.value, new.previous) == (7, 7)
    assert not [n for n in report.kpi_notes if "Previous period" in n]


def test_the_overview_and_the_reports_read_not_covered_alike():
    """report_data.not_covered is what the Overview's KPI row and gather both read."""
    import pandas as pd

    from dashboard import report_data

    def before(names: str | None) -> pd.DataFrame:
        return pd.DataFrame({"new_contacts": [None], "not_covered": [names]})

    assert report_data.not_covered(before("new_contacts,spend")) == ("new_contacts", "spend")
    assert report_data.not_covered(before("")) == ()
    assert report_data.not_covered(before(None)) == ()
    assert report_data.not_covered(pd.DataFrame({"new_contacts": [3.0]})) == ()  # not whole
