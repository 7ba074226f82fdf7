"""A table longer than an Excel sheet holds (1,048,576 rows, the header one of them): the XLSX
download and the XLSX report cut it there and say so, rather than lose the rest without a word.
The limit is lowered for the tests: a million-row database would take minutes to build."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from dashboard import queries, reports, xlsx_text
from dashboard.filters import Filters
from tests.dashboard.conftest import opened

SMALL_RANGE = Filters(dt.date(2023, 11, 1), dt.date(2023, 12, 10))  # around the small db's data
LIMIT = 7


def test_the_limit_is_excels_rows_less_the_header() -> None:
    # https://support.microsoft.com/office/excel-specifications-and-limits: 1,048,576 rows.
    assert xlsx_text.MAX_ROWS == 1_048_575 == 2**20 - 1


def test_a_download_longer_than_a_sheet_is_cut_and_the_filters_sheet_says_so(
    small_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with opened(small_db) as con:
        table = queries.contact_rows(con, SMALL_RANGE)
    assert len(table) > 3 * LIMIT
    monkeypatch.setattr(xlsx_text, "MAX_ROWS", LIMIT)
    data = reports.table_bytes("xlsx", table, "contacts", SMALL_RANGE)
    book = openpyxl.load_workbook(io.BytesIO(data))
    sheet = book["contacts"]
    assert sheet.max_row == LIMIT + 1  # the header and the first rows, no more
    assert sheet.auto_filter.ref == f"A1:{openpyxl.utils.get_column_letter(sheet.max_column)}8"
    back = pd.read_excel(io.BytesIO(data), sheet_name="contacts", dtype=str)
    assert back["psid"].tolist() == table["psid"].head(LIMIT).tolist()
    filters = dict(book["filters"].iter_rows(min_row=2, values_only=True))
    assert filters["note"] == (
        f"table contacts: first {LIMIT:,} of {len(table):,} rows; the sheet limit of Excel"
    )
    assert filters["table"] == "contacts"


def test_a_table_that_fits_carries_no_note(small_db: Path) -> None:
    with opened(small_db) as con:
        table = queries.contact_rows(con, SMALL_RANGE)
    data = reports.table_bytes("xlsx", table, "contacts", SMALL_RANGE)
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert book["contacts"].max_row == len(table) + 1
    assert "note" not in dict(book["filters"].iter_rows(min_row=2, values_only=True))


def test_a_report_section_longer_than_a_sheet_is_cut_and_the_summary_says_so(
    small_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with opened(small_db) as con:
        report = reports.gather(reports.connection_fetch(con), SMALL_RANGE)
    daily = next(s for s in report.sections if s.key == "daily")
    assert len(daily.table) == SMALL_RANGE.days > LIMIT
    monkeypatch.setattr(xlsx_text, "MAX_ROWS", LIMIT)
    book = openpyxl.load_workbook(io.BytesIO(reports.render(report, "xlsx")))
    sheet = book[daily.title]
    assert sheet.max_row == LIMIT + 1
    assert [r[0] for r in sheet.iter_rows(min_row=2, values_only=True)] == [
        dt.datetime.combine(d, dt.time()) for d in daily.table["day"].head(LIMIT)
    ]
    notes = [r[0] for r in book["Summary"].iter_rows(values_only=True) if r[0]]
    assert (
        f"table {daily.title}: first {LIMIT:,} of {SMALL_RANGE.days:,} rows; "
        "the sheet limit of Excel" in notes
    )
    # The others fit: no note for them.
    assert sum("the sheet limit of Excel" in n for n in notes) == sum(
        len(s.table) > LIMIT for s in report.sections
    )
