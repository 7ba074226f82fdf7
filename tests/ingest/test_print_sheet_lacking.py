"""A print sheet label holding characters its font lacks (CJK, Thai, Devanagari, emoji with
DejaVu Sans) prints them as the mark: the sheet says which labels below its cells (outside
the cut marks, so nothing of it goes on a flyer), and `links import --out` says so (the
Create links page: tests/dashboard/test_create_links_sheet_note.py)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from click.testing import CliRunner
from pypdf import PageObject, PdfReader

from ingest import pdf_text, qr_sheet
from ingest.cli import cli
from tests.ingest.links_setup import URL, write_csv

pytestmark = pytest.mark.skipif(pdf_text.font_files() is None, reason="no TrueType font")
MARK = pdf_text.MISSING_GLYPH
MM = 72 / 25.4  # PDF points per millimetre
CELLS_END_MM = 12 + 3 * qr_sheet.SHEET_CELL_MM[1]  # the last row's bottom cut line


def _notes(pdf: bytes) -> list[list[tuple[str, float]]]:
    """Each page's text runs that lie below its cells: (text, their distance from the page's
    top in mm)."""
    return [[(t, mm) for t, mm in _runs(page) if mm > CELLS_END_MM]
            for page in PdfReader(io.BytesIO(pdf)).pages]  # fmt: skip


def _runs(page: PageObject) -> list[tuple[str, float]]:
    """(text, distance of its baseline from the page's top in mm) of each text run of page."""
    runs: list[tuple[str, float]] = []
    top = float(page.mediabox.top)

    def visit(text: str, _cm: object, tm: list[float], *_: object) -> None:
        if text.strip():
            runs.append((text, (top - tm[5]) / MM))

    page.extract_text(visitor_text=visit)
    return runs


def _said(runs: list[tuple[str, float]]) -> str:
    return " ".join(" ".join(t for t, _ in runs).split())


def test_a_sheet_says_which_labels_print_as_the_mark_below_its_cells():
    labels = [
        ("qr_1", "page acmebakery · spring / window"),
        ("qr_2", "page acmebakery · 東京 / counter"),  # CJK
        ("qr_3", "page acmebakery · Łódź / מדף 3 / Кафе"),  # all in DejaVu Sans
        ("qr_4", "page acmebakery · spring / 🥐 till"),  # an emoji
        *((f"qr_{n}", "page acmebakery") for n in range(5, 10)),
        ("qr_10", "page acmebakery · ร้าน / door"),  # Thai, on the second page
    ]
    sheet = qr_sheet.drawn_sheet([(URL, ref, sub) for ref, sub in labels])
    assert (sheet.lacking, sheet.mark) == ([1, 3, 9], MARK)
    first, second = _notes(sheet.pdf)
    said = (
        "The labels of codes 2 and 4 on this page (counted left to right, top to bottom) "
        f"hold characters this sheet's font does not have: they print as {MARK}."
    )
    assert said in _said(first)
    assert "The label of code 1 on this page" in _said(second)
    assert all(CELLS_END_MM + 3 < mm < 297 for _, mm in first + second)  # past the cut marks


def test_a_sheet_whose_labels_all_print_has_no_note():
    labels = [(URL, "qr_1", "page acmebakery · Łódź / מדף 3 (ראשי) / Кафе – “wiosna”")]
    sheet = qr_sheet.drawn_sheet(labels)
    assert sheet.lacking == []
    assert _notes(sheet.pdf) == [[]]


def test_links_import_says_which_labels_print_as_the_mark(
    tmp_path: Path, runner: CliRunner, db_path: Path
) -> None:
    rows = ["acmebakery,qr_tokyo,qr,東京,window,", "acmebakery,qr_lodz,qr,Łódź,till,",
            "acmebakery,qr_bake,qr,spring,🥐,"]  # fmt: skip
    out = tmp_path / "print"
    res = runner.invoke(cli, ["links", "import", str(write_csv(tmp_path / "f.csv", rows)),
                              "--out", str(out), "--db", str(db_path)])  # fmt: skip
    assert res.exit_code == 0, res.output
    assert (
        f"({out / 'print-sheet.pdf'}: 2 labels printed with {MARK} for characters its font "
        "lacks, the codes of qr_tokyo, qr_bake; the sheet notes which)"
    ) in res.stderr
    assert "The labels of codes 1 and 3" in _said(_notes((out / "print-sheet.pdf").read_bytes())[0])
    latin = write_csv(tmp_path / "latin.csv", ["acmebakery,qr_lodz,qr,Łódź,till,"])
    res = runner.invoke(cli, ["links", "import", str(latin), "--out", str(out),
                              "--db", str(db_path)])  # fmt: skip
    assert res.exit_code == 0, res.output
    assert "printed with" not in res.output


def test_links_import_names_the_page_of_a_marked_ref_that_two_pages_share(
    tmp_path: Path, runner: CliRunner, db_path: Path
) -> None:
    """Two pages' flyers of one ref, both labels marked, were said as `qr_tokyo, qr_tokyo`."""
    rows = ["acmebakery,qr_tokyo,qr,東京,window,", "203948571620394,qr_tokyo,qr,東京,window,"]
    out = tmp_path / "print"
    res = runner.invoke(cli, ["links", "import", str(write_csv(tmp_path / "f.csv", rows)),
                              "--out", str(out), "--db", str(db_path)])  # fmt: skip
    assert res.exit_code == 0, res.output
    assert (
        "the codes of qr_tokyo (page acmebakery), qr_tokyo (page 203948571620394); the sheet "
        "notes which)"
    ) in res.stderr
