"""Reports of names beyond Latin text: Hebrew and Arabic in reading order in the PDF."""

from __future__ import annotations

import html as html_lib
import io
import json
from pathlib import Path

import openpyxl
import pypdf
import pytest
from click.testing import CliRunner

from dashboard import report_pdf
from dashboard.cli import cli
from ingest import pdf_text, pipeline
from tests import factories as fx
from tests.dashboard.report_setup import needs_chromium

HEBREW_AD = "מבצע אביב בחנות"  # an ad's title, as the ads referral brings it
ARABIC_AD = "حملة الربيع"
HEBREW_PAGE = "מאפיית הכרמל"  # the page's display name (pages set --name)


def _db(runner: CliRunner, tmp_path: Path, titles: list[str], page_name: str) -> Path:
    """A database of one new contact per ad title, on a page named page_name."""
    firsts = [
        fx.postback(referral=fx.ads_referral(ad_id=f"12020000000000000{n}", ad_title=title),
                    psid=f"u{n}", ts=fx.T0 + n * 1000)
        for n, title in enumerate(titles)
    ]  # fmt: skip
    path = tmp_path / "names.duckdb"
    pipeline.run([str(fx.write_ndjson(tmp_path / "w.ndjson", [fx.delivery(f) for f in firsts]))],
                 path)  # fmt: skip
    res = runner.invoke(cli, ["pages", "set", fx.PAGE_ID, "--name", page_name,
                              "--db", str(path)])  # fmt: skip
    assert res.exit_code == 0, res.output
    return path


def _report(runner: CliRunner, path: Path, out: Path) -> None:
    """The report of the database's one day, filtered to its page (its name in the scope)."""
    day = str(fx.utc(fx.T0).date())
    args = ["report", "--db", str(path), "--from", day, "--to", day, "--out", str(out),
            "--page", fx.PAGE_ID]  # fmt: skip
    result = runner.invoke(cli, args)
    assert result.exit_code == 0, result.output


def _pdf_text(out: Path) -> str:
    return "\n".join(p.extract_text() for p in pypdf.PdfReader(out).pages)


@needs_chromium
@pytest.mark.skipif(pdf_text.font_files() is None, reason="no TrueType font installed")
def test_right_to_left_names_read_in_their_order_in_the_pdf_report(runner, tmp_path):
    """The print sheet drew Hebrew and Arabic in reading order, the PDF report in the order
    typed: an ad's title, a page's name came out backwards (pypdf, which reads a right-to-left
    run back to front as a reader does, read "ןויבא עצבמ"). Each line is drawn in visual order
    now, in the tables and in the text above them."""
    path = _db(runner, tmp_path, [HEBREW_AD, ARABIC_AD], HEBREW_PAGE)
    _report(runner, path, tmp_path / "r.pdf")
    text = _pdf_text(tmp_path / "r.pdf")
    for name in (HEBREW_AD, ARABIC_AD, HEBREW_PAGE):
        assert name in text, (name, text)
        assert name[::-1] not in text


def test_a_wrapped_right_to_left_text_keeps_its_first_words_on_its_first_line():
    """A paragraph is wrapped as typed and each line then ordered: ordering the whole text
    first would put its last words on its first line."""
    pdf = report_pdf._Pdf("t")
    if pdf.face == pdf_text.CORE_FONT:
        pytest.skip("no TrueType font installed")
    pdf.add_page()
    pdf.set_font(pdf.face, size=9)
    long = " ".join(["ראשון", *[HEBREW_AD] * 20, "אחרון"])  # "first ... last"
    report_pdf._text(pdf, long, 5)
    report_pdf._table(pdf, ["Ad", "Page"], [[long, HEBREW_PAGE]], [False, False])
    lines = pypdf.PdfReader(io.BytesIO(bytes(pdf.output()))).pages[0].extract_text().splitlines()
    starts = [n for n, line in enumerate(lines) if line.startswith("ראשון")]
    ends = [n for n, line in enumerate(lines) if line.strip().endswith("אחרון")]
    assert len(starts) == 2 and len(ends) == 2, lines  # the note and the table's cell
    assert starts[0] < ends[0] < starts[1] < ends[1], lines
    assert lines[starts[0]].startswith(f"ראשון {HEBREW_AD}"), lines


# Ad titles and a page name in scripts DejaVu Sans lacks: Chinese, Japanese, Korean, Thai,
# Devanagari, and an emoji beside a coffee cup it has.
LACKED = ["春季特卖", "カフェの朝", "봄 세일", "ลดราคา", "वसंत सेल", "Flat white \u2615\U0001f389"]
KOREAN_PAGE = "카페 봄"


@needs_chromium
@pytest.mark.skipif(pdf_text.font_files() is None, reason="no TrueType font installed")
def test_names_in_scripts_the_pdf_font_lacks_are_marked_and_said_and_kept_elsewhere(
    runner, tmp_path
):
    """DejaVu Sans has no Chinese, Japanese, Korean, Thai or Devanagari: such a name printed
    as a row of marks with nothing saying why or where it was whole. The section (and the
    scope line, for a page's name) now says so, and the XLSX and HTML reports hold each name."""
    path = _db(runner, tmp_path, LACKED, KOREAN_PAGE)
    for fmt in ("pdf", "xlsx", "html"):
        _report(runner, path, tmp_path / f"r.{fmt}")
    text = _pdf_text(tmp_path / "r.pdf").replace("\n", " ")
    note = (
        "Some characters here are not in the PDF's font and show as \ufffd; the XLSX and "
        "HTML reports hold them."
    )
    assert text.count(note) == 2, text  # the scope line's page name, the Ads section's titles
    assert "\ufffd" * 4 in text and "Flat white \u2615\ufffd" in text
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    book = openpyxl.load_workbook(tmp_path / "r.xlsx")
    cells = {str(c.value) for ws in book.worksheets for row in ws.iter_rows() for c in row}
    for name in [*LACKED, KOREAN_PAGE]:
        assert html_lib.escape(name) in html, name
        assert any(name in c for c in cells), name


@pytest.mark.skipif(pdf_text.font_files() is None, reason="no TrueType font installed")
def test_the_pdf_charts_set_a_right_to_left_name_apart_and_the_tables_do_not(runner, tmp_path):
    """kaleido draws the PDF's charts with plotly.js, as the HTML report's (whose drawing a
    browser test reads): a Hebrew bar name goes to it in a first-strong isolate, a Latin one
    as it is; the tables' texts have no isolate (fpdf2 has no glyph for one)."""
    from dashboard import reports
    from dashboard.filters import Filters
    from ingest import db

    path = _db(runner, tmp_path, [HEBREW_AD, "Spring sale"], HEBREW_PAGE)
    con = db.connect(path, read_only=True)
    try:
        day = fx.utc(fx.T0).date()
        report = reports.gather(reports.connection_fetch(con), Filters(day, day))
    finally:
        con.close()
    fig = report_pdf._static(report.section("ads"))
    raw = json.dumps(json.loads(fig.to_json()), ensure_ascii=False)
    assert raw.count(f"\u2068{HEBREW_AD}\u2069") == raw.count(HEBREW_AD) > 0, raw
    assert '"Spring sale"' in raw
    assert list(report.section("ads").table["ad_title"]) == [HEBREW_AD, "Spring sale"]


def _scope_lines(runner, tmp_path, monkeypatch, page_name: str) -> list[str]:
    """The filters line "pages: <name> (1122…), channels: all" of the PDF report of a page
    named page_name, as given to fpdf2 to draw (its dry runs' too, the last drawn). pypdf reads
    a line of both directions in an order of its own, so the line is read from fpdf2's calls."""
    from fpdf import FPDF

    from dashboard import reports
    from dashboard.filters import Filters
    from ingest import db

    drawn: list[str] = []
    multi_cell = FPDF.multi_cell

    def recording(self, *args, **kwargs):
        drawn.append(kwargs.get("text", args[2] if len(args) > 2 else ""))
        return multi_cell(self, *args, **kwargs)

    path = _db(runner, tmp_path, [HEBREW_AD], page_name)
    con = db.connect(path, read_only=True)
    try:
        day = fx.utc(fx.T0).date()
        report = reports.gather(reports.connection_fetch(con), Filters(day, day, (fx.PAGE_ID,)))
    finally:
        con.close()
    monkeypatch.setattr(FPDF, "multi_cell", recording)
    reports.render(report, "pdf")
    return [t for t in drawn if t.startswith("pages: ")]


@needs_chromium
@pytest.mark.skipif(pdf_text.font_files() is None, reason="no TrueType font installed")
def test_a_right_to_left_page_name_keeps_its_id_after_it_in_the_pdf(runner, tmp_path, monkeypatch):
    """The filters line "pages: מאפיית הכרמל (1122…), channels: all" was drawn with the id
    before the name: digits after a Hebrew word join its run. The page's name is ordered apart
    from the words around it now, as in the HTML report."""
    scope = _scope_lines(runner, tmp_path, monkeypatch, HEBREW_PAGE)
    assert scope and scope[-1].startswith(f"pages: {HEBREW_PAGE[::-1]} ({fx.PAGE_ID}), "), scope


def test_a_right_to_left_cell_is_aligned_right_in_the_pdf_table():
    """A Hebrew title stood at the left of its column, its lines ragged where a reader starts
    them; it is aligned right now (as dir="auto" aligns it in the HTML report), a Latin title
    of the same column at the left as before."""
    pdf = report_pdf._Pdf("t")
    if pdf.face == pdf_text.CORE_FONT:
        pytest.skip("no TrueType font installed")
    pdf.add_page()
    latin = "Autumn catering menu for offices and weddings"
    rows = [[latin, "1"], [HEBREW_AD, "2"]]
    report_pdf._table(pdf, ["Ad", "New contacts"], rows, [False, True])
    starts: dict[str, float] = {}

    def visit(text: str, _cm: object, tm: list[float], _font: object, _size: float) -> None:
        for name in (latin, HEBREW_AD):
            if text.strip() and text.strip() in name:
                starts.setdefault(name, tm[4])

    pypdf.PdfReader(io.BytesIO(bytes(pdf.output()))).pages[0].extract_text(visitor_text=visit)
    assert starts[HEBREW_AD] > starts[latin] + 40, starts  # points


@needs_chromium
@pytest.mark.skipif(pdf_text.font_files() is None, reason="no TrueType font installed")
def test_a_page_name_wrapped_across_two_lines_keeps_its_id_after_it_in_the_pdf(
    runner, tmp_path, monkeypatch
):
    """A page name too long for one line was set apart only where a line held it whole: its
    part on the next line joined the "(1122…)" after it, drawn before it. Each line's part of
    the name is set apart now."""
    long_name = " ".join([HEBREW_PAGE] * 9)  # wider than the page's 180 mm at 9 pt
    scope = _scope_lines(runner, tmp_path, monkeypatch, long_name)[-1]
    first, second = scope.split("\n")  # the name wrapped: its last words on the second line
    assert first.startswith("pages: ") and HEBREW_PAGE[::-1] in first, scope
    part, rest = second.split(" (", 1)
    assert long_name.endswith(part[::-1]) and part[::-1] != long_name, scope
    assert rest.startswith(f"{fx.PAGE_ID}), channels: all"), scope
