"""A text longer than an XLSX cell holds (32,767 characters; a link's notes have no limit):
xlsxwriter cuts it there without a word, so the table download and the XLSX report mark the cut
in the cell and say in the workbook's notes which column, and that the other formats hold it."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pyarrow.parquet as pq
import pytest

from dashboard import queries, reports, xlsx_text
from dashboard.filters import Filters
from dashboard.report_data import connection_fetch, gather
from ingest import db, links, pipeline
from tests import factories as fx
from tests.dashboard.conftest import opened

DAY = fx.utc(fx.T0).date()
F = Filters(DAY, DAY)
# Longer than a cell, with an emoji (two UTF-16 units, as Excel counts) where the cut falls.
LONG = "a" * 32_700 + "😀" * 100 + " the end"
MARK = xlsx_text.CUT_MARK.format(n=len(LONG))


def units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@pytest.fixture
def long_db(db_path: Path) -> Path:
    """flyer: a registered link with LONG notes, menu one with a short note; a contact each."""
    con = db.connect(db_path)
    try:
        # LONG as a refscope before the notes' limit of 10,000 characters registered it.
        links.register(con, [links.Link("flyer", fx.PAGE_ID, notes=LONG),
                             links.make_link(fx.PAGE_ID, "menu", notes="menu card")])  # fmt: skip
    finally:
        con.close()
    lines = [fx.delivery(fx.postback(referral=fx.referral_obj(ref), psid=f"750000000000000{n}",
                                     ts=fx.T0 + n * fx.MINUTE))
             for n, ref in enumerate(("flyer", "menu"))]  # fmt: skip
    pipeline.run([str(fx.write_ndjson(db_path.parent / "logs" / "a.ndjson", lines))], db_path)
    return db_path


def assert_marked(cell: str) -> None:
    assert cell.endswith(MARK) and units(cell) <= xlsx_text.MAX_CELL
    head = cell[: -len(MARK)]
    assert LONG.startswith(head) and len(head) > 32_000
    assert all(not 0xD800 <= ord(c) <= 0xDFFF for c in head)  # no half of an emoji


def test_a_text_that_fits_is_kept_and_one_a_unit_longer_is_cut() -> None:
    fits = "😀" * 16_383 + "a"  # 32,767 units
    assert xlsx_text.fit_cell(fits) == fits
    cut = xlsx_text.fit_cell(fits + "b")
    assert cut.endswith(xlsx_text.CUT_MARK.format(n=16_385)) and units(cut) <= 32_767


def test_the_table_download_marks_the_cut_cell_and_its_filters_sheet_says_so(long_db):
    with opened(long_db) as con:
        df = queries.refs(con, F)
    book = openpyxl.load_workbook(io.BytesIO(reports.table_bytes("xlsx", df, "refs", F)))
    head, *rows = book["refs"].iter_rows(values_only=True)
    notes = {r[head.index("ref")]: r[head.index("notes")] for r in rows}
    assert_marked(notes["flyer"])
    assert notes["menu"] == "menu card"
    said = [v for k, v in book["filters"].iter_rows(min_row=2, values_only=True) if k == "note"]
    assert said == [
        "table refs: 1 cell of column notes cut at 32,767 characters, the cell limit of Excel, "
        'each ending "… [cut: N characters in all; …]"; CSV and Parquet hold them whole'
    ]
    back = pq.read_table(io.BytesIO(reports.table_bytes("parquet", df, "refs", F))).to_pylist()
    assert {r["ref"]: r["notes"] for r in back}["flyer"] == LONG


def test_a_table_of_short_texts_carries_no_such_note(long_db):
    with opened(long_db) as con:
        df = queries.refs(con, F)
    df = df[df["ref"] == "menu"]
    book = openpyxl.load_workbook(io.BytesIO(reports.table_bytes("xlsx", df, "refs", F)))
    assert "note" not in dict(book["filters"].iter_rows(min_row=2, values_only=True))


def test_the_reports_top_refs_mark_the_cut_note_and_the_summary_says_so(long_db):
    with opened(long_db) as con:
        report = gather(connection_fetch(con), F)
    book = openpyxl.load_workbook(io.BytesIO(reports.render(report, "xlsx")))
    head, *rows = book["Top refs"].iter_rows(values_only=True)
    notes = {r[0]: r[head.index("Notes")] for r in rows}
    assert_marked(notes["flyer"])
    summary = [r[0] for r in book["Summary"].iter_rows(values_only=True) if r[0]]
    assert (
        "table Top refs: 1 cell of column Notes cut at 32,767 characters, the cell limit of "
        'Excel, each ending "… [cut: N characters in all; …]"; the HTML report holds them whole'
    ) in summary
    assert LONG in reports.render(report, "html").decode()


def test_a_filter_longer_than_a_cell_is_marked_and_noted(long_db):
    """Picks of many long refs, or a long search, are a filter longer than a cell holds."""
    with opened(long_db) as con:
        df = queries.refs(con, F)
    df = df[df["ref"] == "menu"]
    data = reports.table_bytes("xlsx", df, "refs", F, {"search": LONG})
    rows = list(openpyxl.load_workbook(io.BytesIO(data))["filters"].iter_rows(values_only=True))
    assert_marked(dict(rows)["search"])
    assert [v for k, v in rows if k == "note"] == [
        "filter search: cut at 32,767 characters, the cell limit of Excel; CSV and Parquet hold "
        "it whole"
    ]


def test_the_summarys_pages_and_the_charts_bar_names_cut_at_a_cell_are_noted(long_db, runner):
    """A page's name has no limit: the Summary's Pages row and a bar named "menu · <page>" (a
    ref two pages share) ended with the cut mark, and the notes said nothing of them, as they
    do of a table's cut cells."""
    from dashboard.cli import cli

    line = fx.delivery(fx.postback(referral=fx.referral_obj("menu"), psid="7500000000000099",
                                   page_id=fx.OTHER_PAGE_ID), page_id=fx.OTHER_PAGE_ID)  # fmt: skip
    pipeline.run([str(fx.write_ndjson(long_db.parent / "logs" / "b.ndjson", [line]))], long_db)
    got = runner.invoke(cli, ["pages", "set", fx.OTHER_PAGE_ID, "--name", LONG,
                              "--db", str(long_db)])  # fmt: skip
    assert got.exit_code == 0, got.output
    with opened(long_db) as con:
        report = gather(connection_fetch(con), Filters(DAY, DAY, (fx.PAGE_ID, fx.OTHER_PAGE_ID)))
    book = openpyxl.load_workbook(io.BytesIO(reports.render(report, "xlsx")))
    summary = {r[0]: r[1] for r in book["Summary"].iter_rows(values_only=True) if r[0]}
    assert summary["Pages"].endswith(xlsx_text.CUT_MARK.format(n=len(report.pages)))
    bars = [c for row in book["Charts"].iter_rows(values_only=True) for c in row if c]
    assert any(str(c).startswith("menu · ") and str(c).endswith("cell limit of Excel]")
               for c in bars)  # fmt: skip
    ending = 'each ending "… [cut: N characters in all; …]"; the HTML report holds them whole'
    assert f"Pages: 1 cell cut at 32,767 characters, the cell limit of Excel, {ending}" in summary
    assert (f"Charts, Top refs: bar names: 1 cell cut at 32,767 characters, the cell limit of "
            f"Excel, {ending}") in summary  # fmt: skip
