"""Reports of names beyond Latin text: Hebrew and Arabic in reading order in the PDF."""

from __future__ import annotations

import io
from pathlib import Path

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


def _report(runner: CliRunner, tmp_path: Path, *extra: str) -> str:
    """The text pypdf reads from the PDF report of two ads with right-to-left titles, on a
    page with a Hebrew name, filtered to that page (its name in the scope line)."""
    firsts = [
        fx.postback(referral=fx.ads_referral(ad_id="120200000000000001", ad_title=HEBREW_AD),
                    psid="u1", ts=fx.T0),
        fx.postback(referral=fx.ads_referral(ad_id="120200000000000002", ad_title=ARABIC_AD),
                    psid="u2", ts=fx.T0 + 1000),
    ]  # fmt: skip
    path = tmp_path / "rtl.duckdb"
    pipeline.run([str(fx.write_ndjson(tmp_path / "w.ndjson", [fx.delivery(f) for f in firsts]))],
                 path)  # fmt: skip
    res = runner.invoke(cli, ["pages", "set", fx.PAGE_ID, "--name", HEBREW_PAGE,
                              "--db", str(path)])  # fmt: skip
    assert res.exit_code == 0, res.output
    out = tmp_path / "r.pdf"
    day = str(fx.utc(fx.T0).date())
    args = ["report", "--db", str(path), "--from", day, "--to", day, "--out", str(out), *extra]
    result = runner.invoke(cli, args)
    assert result.exit_code == 0, result.output
    return "\n".join(p.extract_text() for p in pypdf.PdfReader(out).pages)


@needs_chromium
@pytest.mark.skipif(pdf_text.font_files() is None, reason="no TrueType font installed")
def test_right_to_left_names_read_in_their_order_in_the_pdf_report(runner, tmp_path):
    """The print sheet drew Hebrew and Arabic in reading order, the PDF report in the order
    typed: an ad's title, a page's name came out backwards (pypdf, which reads a right-to-left
    run back to front as a reader does, read "ןויבא עצבמ"). Each line is drawn in visual order
    now, in the tables and in the text above them."""
    text = _report(runner, tmp_path, "--page", fx.PAGE_ID)
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
