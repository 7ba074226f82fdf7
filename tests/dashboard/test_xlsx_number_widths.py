"""Number columns of the XLSX files as wide as their widest figure: a spreadsheet shows one
wider than its column as "#######", and a spend of 1,234,567.89 is 12 characters."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pandas as pd

from dashboard import reports
from dashboard.filters import Filters
from ingest import db
from tests.dashboard.conftest import opened
from tests.dashboard.report_setup import RANGE
from tests.dashboard.xlsx_fit import unfit_cells

ADS = pd.DataFrame({
    "ad_title": ["Spring sale", "Winter sale"],
    "new_contacts": [1_234_567_890, 3],
    "spend": [1_234_567.89, 9.5],
    "cost_per_contact": [0.0, 3.17],
    "engaged_rate": [0.25, 1.0],
})  # fmt: skip


def test_a_table_download_sizes_each_number_column_to_its_widest_figure():
    book = openpyxl.load_workbook(io.BytesIO(reports.table_bytes("xlsx", ADS, "ads", RANGE)))
    assert book["ads"]["C2"].number_format == "#,##0.00"  # shown as 1,234,567.89
    assert unfit_cells(book) == []


def test_a_narrow_number_column_stays_as_wide_as_its_header():
    df = pd.DataFrame({"n": [1, 2], "spend": [1.5, 2.0]})
    ws = openpyxl.load_workbook(io.BytesIO(reports.table_bytes("xlsx", df, "t", RANGE)))["t"]
    assert ws.column_dimensions["A"].width >= 8  # a column of one digit is no sliver
    assert ws.column_dimensions["B"].width >= len("spend") + 2


def test_the_reports_ads_sheet_fits_a_seven_digit_spend(small_db):
    """An ad account spending a million a day (in a currency of small units) in the report."""
    con = db.connect(small_db)
    try:
        con.execute("UPDATE ad_insights SET spend = 1234567.89")
    finally:
        con.close()
    with opened(small_db) as c:
        f = Filters(dt.date(2023, 11, 14), dt.date(2023, 12, 1))
        report = reports.gather(reports.connection_fetch(c), f)
    assert report.section("ads").table["spend"].max() >= 1_000_000
    book = openpyxl.load_workbook(io.BytesIO(reports.render(report, "xlsx")))
    assert unfit_cells(book) == []
