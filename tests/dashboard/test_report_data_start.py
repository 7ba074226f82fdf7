"""A report whose range starts before the data's first day: its daily table lists those days
with 0 new contacts, which a manager reads as quiet days. Every format says below its key
figures that the data starts later, and how many of the range's days have none."""

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
NOTE = (f"The data starts on {FIRST} (its first log): the 5 days of this range before it have "
        "no data, not zero contacts.")  # fmt: skip


NO_CHANGE = (
    "its contact figures and cost per ad contact show no change (—) against the "
    "previous period, a whole one."
)
SPEND_NOT_COMPARED = (
    "Ad spend: the pulled ad insights cover this range only in part (see "
    "Ads), so it shows no change (—) against the previous period."
)


def _report(db_path, start: dt.date, end: dt.date) -> reports.Report:
    lines = [fx.delivery(fx.postback(referral=fx.referral_obj("flyer"), psid=f"77{n:014d}",
                                     ts=fx.T0 + n * fx.DAY)) for n in range(3)]  # fmt: skip
    pipeline.run([str(fx.write_ndjson(db_path.parent / "logs" / "w.ndjson", lines))], db_path)
    with opened(db_path) as c:
        return reports.gather(reports.connection_fetch(c), Filters(start, end))


def _html_text(report: reports.Report) -> str:
    html = reports.render(report, "html").decode()
    return " ".join(re.sub(r"<[^>]+>", " ", html.replace("&#x27;", "'")).split())


def test_a_range_starting_before_the_data_says_so_in_html_and_xlsx(db_path):
    report = _report(db_path, FIRST - dt.timedelta(days=5), FIRST + dt.timedelta(days=2))
    daily = report.section("daily").table
    assert daily["total"].tolist()[:5] == [0] * 5  # the days before the data, as quiet days
    assert NOTE in _html_text(report)
    book = openpyxl.load_workbook(io.BytesIO(reports.render(report, "xlsx")))
    assert NOTE in [r[0] for r in book["Summary"].iter_rows(values_only=True)]


@needs_chromium
def test_a_range_starting_before_the_data_says_so_in_the_pdf(db_path):
    report = _report(db_path, FIRST - dt.timedelta(days=5), FIRST + dt.timedelta(days=2))
    pdf = pypdf.PdfReader(io.BytesIO(reports.render(report, "pdf")))
    text = " ".join(" ".join(p.extract_text() for p in pdf.pages).split())
    assert NOTE in text


def test_a_range_inside_the_data_has_no_such_note(db_path):
    report = _report(db_path, FIRST, FIRST + dt.timedelta(days=2))
    assert "The data starts on" not in _html_text(report)


def test_the_reports_page_says_so_below_its_key_figures(db_path, open_app):
    """The default range (Last 28 days) of a database with 3 days of data starts before it."""
    from tests.dashboard.screen import show, shown

    report = _report(db_path, FIRST, FIRST)  # the database; this range is not the page's
    assert report.data_note == ""
    at = show(open_app(db_path), "reports")
    notes = [shown(c.value) for c in at.caption if "The data starts on" in c.value]
    assert notes == [f"The data starts on {FIRST} (its first log): the 25 days of this range "
                     "before it have no data, not zero contacts."]  # fmt: skip


def test_a_range_ending_after_the_data_says_so(db_path):
    """`--to` past the newest event (a month asked for on its 6th): the days after it are
    listed with 0 new contacts, and the change against a whole previous period reads as a
    fall; the note says they have no data yet."""
    last = FIRST + dt.timedelta(days=2)
    report = _report(db_path, FIRST, FIRST + dt.timedelta(days=6))
    note = (f"The data ends on {last} (its newest event): the 4 days of this range after it "
            f"have no data yet, so {NO_CHANGE}")  # fmt: skip
    assert report.kpi_notes[0] == note
    assert note in _html_text(report)
    book = openpyxl.load_workbook(io.BytesIO(reports.render(report, "xlsx")))
    assert note in [r[0] for r in book["Summary"].iter_rows(values_only=True)]


def _ending_after(db_path) -> reports.Report:
    """10 days of data; the range the last 3 of them and 4 days after, its previous period 7
    days with 7 new contacts."""
    lines = [fx.delivery(fx.postback(referral=fx.referral_obj("flyer"), psid=f"78{n:014d}",
                                     ts=fx.T0 + n * fx.DAY)) for n in range(10)]  # fmt: skip
    pipeline.run([str(fx.write_ndjson(db_path.parent / "logs" / "old.ndjson", lines))], db_path)
    last = FIRST + dt.timedelta(days=9)
    with opened(db_path) as c:
        return reports.gather(
            reports.connection_fetch(c),
            Filters(FIRST + dt.timedelta(days=7), last + dt.timedelta(days=4)),
        )


def test_a_range_ending_after_the_data_shows_no_change_of_its_contact_figures(db_path):
    """The previous period (whole) against the days the data has would read as a fall: the
    contact figures' change is "—", as that of a previous period the data covers in part, in
    the Reports page's table, the CSV/XLSX/Parquet of it and every report format."""
    report = _ending_after(db_path)
    new = next(k for k in report.kpis if k.key == "new_contacts")
    assert (new.value, new.previous) == (3, 7)  # 3 of 7 days against a whole week
    table = reports.kpi_table(report).set_index("Metric")
    assert table.loc["New contacts", "Previous period"] == "7"
    assert table.loc["New contacts", "Change"] == "—"
    frame = reports.kpi_frame(report).set_index("metric")
    assert frame.loc["New contacts", ["change", "change_share"]].isna().all()
    book = openpyxl.load_workbook(io.BytesIO(reports.render(report, "xlsx")))
    rows = {r[0]: r for r in book["Summary"].iter_rows(values_only=True)}
    assert rows["New contacts"][1:] == (3, 7, None, None, "—")
    assert NO_CHANGE in " ".join(str(r[0]) for r in rows.values())
    assert "New contacts 3 7 —" in _html_text(report)
    assert "-4 (-57.1%)" not in _html_text(report)


@needs_chromium
def test_a_range_ending_after_the_data_shows_no_change_in_the_pdf(db_path):
    pdf = pypdf.PdfReader(io.BytesIO(reports.render(_ending_after(db_path), "pdf")))
    text = " ".join(" ".join(p.extract_text() for p in pdf.pages).split())
    assert "New contacts 3 7 —" in text
    assert NO_CHANGE in text


def test_spend_of_a_range_the_insights_cover_in_part_shows_no_change(report_db):
    """Insights pulled up to the data's end (2026-11-24), the range 7 days past it: its spend
    counts 6 of 13 days, a fall against a whole previous period that never happened."""
    with opened(report_db) as c:
        report = reports.gather(reports.connection_fetch(c),
                                Filters(dt.date(2026, 11, 19), dt.date(2026, 12, 1)))  # fmt: skip
    spend = next(k for k in report.kpis if k.key == "spend")
    assert spend.value is not None and spend.previous is not None
    assert spend.value < spend.previous  # the fall the change would have shown
    assert reports.kpi_table(report).set_index("Metric").loc[spend.label, "Change"] == "—"
    assert SPEND_NOT_COMPARED in report.kpi_notes
    assert report.section("ads").note.startswith("Ad insights cover 2026-11-19 – 2026-11-24")
