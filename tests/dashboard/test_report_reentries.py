"""A range in which contacts came back through a channel that brought no new contact: the
channel mix (on the charts and in the reports) is of the new contacts alone."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path

import openpyxl
import pypdf
import pytest

from dashboard import reports
from dashboard.filters import Filters
from ingest import pipeline
from tests import factories as fx
from tests.dashboard.conftest import opened

# The small database's QR re-entry (fx.T0 + a day): its only event of 2023-11-15.
REENTRY_DAY = Filters(dt.date(2023, 11, 15), dt.date(2023, 11, 15))


def _report(path: Path, f: Filters) -> reports.Report:
    with opened(path) as c:
        return reports.gather(reports.connection_fetch(c), f)


def _chart_xml(data: bytes) -> list[str]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        names = sorted(n for n in z.namelist() if n.startswith("xl/charts/chart"))
        return [z.read(n).decode() for n in names]


def test_the_xlsx_pie_leaves_out_a_channel_without_new_contacts(small_db):
    """A new m.me contact the day of the small database's QR re-entry: the pie had a QR code
    slice of 0 and a legend entry for it."""
    psid, ts = f"73{1:014d}", fx.T0 + fx.DAY + fx.MINUTE
    log = fx.write_ndjson(small_db.parent / "logs" / "more.ndjson", [
        fx.delivery(fx.postback(referral=fx.referral_obj("late_link"), psid=psid, ts=ts)),
        fx.delivery(fx.message("hi", psid=psid, ts=ts + fx.MINUTE)),
    ])  # fmt: skip
    pipeline.run([str(log)], small_db)
    report = _report(small_db, REENTRY_DAY)
    table = report.section("channels").table
    assert list(zip(table["channel"], table["new_contacts"], strict=True)) == [
        ("m_me_link", 1), ("qr_code", 0)]  # fmt: skip
    (pie,) = [x for x in _chart_xml(reports.render(report, "xlsx")) if "<c:pieChart>" in x]
    assert "<c:f>Channels!$A$2</c:f>" in pie and "<c:f>Channels!$B$2</c:f>" in pie  # one row
    assert "QR code" not in pie


def test_a_range_of_re_entries_only_says_it_had_no_new_contacts(small_db):
    """The range's one event is a re-entry: the channel mix was a blank donut (a pie of one
    slice of 0) in the HTML and PDF reports and the XLSX report's Charts sheet."""
    report = _report(small_db, REENTRY_DAY)
    channels = report.section("channels")
    assert list(channels.table["reentries"]) == [1] and not channels.table["new_contacts"].any()
    assert channels.figure is None
    note = "No new contacts in this range: the channels listed are those contacts came back "
    assert channels.note.startswith(note)
    assert report.section("daily").empty_note == (
        "No new contacts in 2023-11-15 – 2023-11-15 (pages: all, channels: all).")  # fmt: skip
    page = reports.render(report, "html").decode()
    assert 'id="chart-channels"' not in page and note in page
    assert 'id="chart-refs"' in page  # the re-entry's ref has its table, and its chart's note
    xlsx = reports.render(report, "xlsx")
    assert not [x for x in _chart_xml(xlsx) if "<c:pieChart>" in x]
    summary = openpyxl.load_workbook(io.BytesIO(xlsx))["Summary"]
    assert any(str(c.value).startswith(f"Channels: {note}") for r in summary.iter_rows()
               for c in r)  # fmt: skip


@pytest.mark.skipif(not reports.pdf_available(), reason="the PDF's charts need Chromium")
def test_the_pdf_of_re_entries_only_draws_no_channel_mix(small_db):
    report = _report(small_db, REENTRY_DAY)
    pdf = pypdf.PdfReader(io.BytesIO(reports.render(report, "pdf")))
    text = " ".join(" ".join(p.extract_text().split()) for p in pdf.pages)
    assert "No new contacts in this range: the channels listed" in text
    charted = [s.key for s in report.sections if s.figure is not None and not s.empty]
    assert "channels" not in charted
    assert sum(len(p.images) for p in pdf.pages) == len(charted)


def test_the_xlsx_refs_chart_leaves_out_refs_without_new_contacts(small_db):
    """The range's one ref came back through a re-entry: the XLSX report drew a bar chart of
    one bar of 0, where the HTML and PDF reports' chart says no ref brought a new contact."""
    report = _report(small_db, REENTRY_DAY)
    refs = report.section("refs").table
    assert list(refs["ref"]) == ["qr_late"] and list(refs["new_contacts"]) == [0]
    xlsx = _chart_xml(reports.render(report, "xlsx"))
    assert not [x for x in xlsx if "'Top refs'!" in x], xlsx
