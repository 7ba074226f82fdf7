"""The Reports page's KPIs download: counts as whole numbers in the CSV, every figure a number in
the XLSX and Parquet."""

from __future__ import annotations

import io

import openpyxl
import pyarrow.parquet as pq

from dashboard import reports
from dashboard.report_model import Kpi, Report
from tests.dashboard.report_setup import RANGE

# As gather makes them: every figure a float, whatever its kind.
KPIS = (Kpi("new_contacts", "New contacts", "int", 160.0, 150.0),
        Kpi("engaged_rate", "Engaged rate", "pct", 0.5, 0.25),
        Kpi("spend", "Ad spend", "money", 597.85, 500.42),
        Kpi("reachable", "Reachable at the end (24 h)", "int", 12.0, None))  # fmt: skip


def test_the_kpis_csv_writes_counts_whole_and_money_as_it_is():
    """The CSV read "New contacts,160.0,150.0,10.0": a count with a decimal point."""
    frame = reports.kpi_frame(Report(RANGE, KPIS, ()))
    csv = reports.table_bytes("csv", frame, "kpis", RANGE).decode("utf-8-sig").splitlines()
    assert "New contacts,160,150,10,0.06666666666666667" in csv
    assert "Engaged rate,0.5,0.25,0.25," in csv
    assert "Ad spend,597.85,500.42,97.43,0.19469645497781865" in csv
    assert "Reachable at the end (24 h),12,,," in csv


def test_the_kpis_xlsx_and_parquet_keep_every_figure_a_number():
    frame = reports.kpi_frame(Report(RANGE, KPIS, ()))
    book = openpyxl.load_workbook(io.BytesIO(reports.table_bytes("xlsx", frame, "kpis", RANGE)))
    got = {r[0]: r[1:4] for r in book["kpis"].iter_rows(min_row=2, values_only=True)}
    assert got["New contacts"] == (160, 150, 10)
    assert got["Ad spend"] == (597.85, 500.42, 97.43)
    table = pq.read_table(io.BytesIO(reports.table_bytes("parquet", frame, "kpis", RANGE)))
    assert str(table.schema.field("this_period").type) == "double"
    assert table.column("this_period").to_pylist() == [160, 0.5, 597.85, 12]
