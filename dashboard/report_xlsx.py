"""XLSX files with xlsxwriter: typed cells (numbers, dates, booleans, never numbers as text),
formatted headers, and for the period report one sheet per section plus native charts.

Bytes out only; the content comes from report_data.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Sequence
from typing import Any

import pandas as pd
from xlsxwriter.worksheet import Worksheet

from dashboard import xlsx_text
from dashboard.report_data import Column, Report, format_change, period
from dashboard.report_text import number_column
from dashboard.report_xlsx_charts import CHARTS_SHEET, charts_sheet
from dashboard.rounding import as_shown
from dashboard.xlsx_cells import (
    MAX_WIDTH,
    Formats,
    new_workbook,
    sheet_name,
    widest_figure,
    write_cell,
)
from dashboard.xlsx_text import MAX_CELL, cut_cells_note, cut_note, cut_text_notes, too_long

# Money columns of the dashboard's tables: cents and thousands, as the report's Ads sheet.
MONEY_COLUMNS = ("spend", "cost_per_contact", "cost_per_engaged")
# Their rates (0-1), in percent as on screen and in the report's sheets; week_N of cohorts too.
RATE_COLUMNS = ("engaged_rate", "ci_low", "ci_high", "return_7d_rate", "guest_share",
                "reply_rate", "d1", "d7", "d30", "read_rate", "change_share")  # fmt: skip


def _float_kind(name: str) -> str:
    if name in MONEY_COLUMNS:
        return "money"
    return "pct" if name in RATE_COLUMNS or re.fullmatch(r"week_\d+", name) else "float"


def infer_columns(df: pd.DataFrame) -> tuple[Column, ...]:
    """Column kinds from the frame's dtypes (for tables exported as they are); a money or rate
    column by its name."""
    out = []
    for name in df.columns:
        s = df[name]
        if pd.api.types.is_bool_dtype(s):
            kind = "bool"
        elif pd.api.types.is_integer_dtype(s):
            kind = "int"
        elif pd.api.types.is_float_dtype(s) or number_column(s):
            kind = _float_kind(str(name))
        elif pd.api.types.is_datetime64_any_dtype(s):
            # DuckDB hands a DATE column (a cohort's week) to pandas as midnight timestamps.
            kind = "date" if s.dropna().eq(s.dropna().dt.normalize()).all() else "datetime"
        elif s.map(lambda v: isinstance(v, dt.date)).any():
            kind = "date"
        else:
            kind = "text"
        out.append(Column(str(name), str(name), kind))
    return tuple(out)


def write_frame(ws: Worksheet, df: pd.DataFrame, columns: Sequence[Column], fmt: Formats,
                empty_note: str = "") -> None:  # fmt: skip
    """Header on row 1, one typed row per record below, frozen header and an autofilter; the
    first xlsx_text.MAX_ROWS records only (see cut_note)."""
    df = df.iloc[: xlsx_text.MAX_ROWS]
    for c, col in enumerate(columns):
        ws.write_string(0, c, col.label, fmt.header)
        values = df[col.name].tolist() if col.name in df.columns else [None] * len(df)
        for r, v in enumerate(values, start=1):
            write_cell(ws, r, c, v, col.kind, fmt)
        ws.set_column(c, c, min(max(_width(col, values), len(col.label) + 2, 8), MAX_WIDTH))
    ws.freeze_panes(1, 0)
    if df.empty:
        if empty_note:
            ws.write_string(1, 0, empty_note, fmt.note)
    else:
        ws.autofilter(0, 0, len(df), len(columns) - 1)


def _width(col: Column, values: list[Any]) -> int:
    """The characters a column of col's kind needs: a date or a time as its format shows it, a
    number as its widest figure (1,234,567.89 needs more than 12), a text as the longest of its
    label and its first 200 values."""
    if col.kind == "date":
        return 12
    if col.kind == "datetime":
        return 20
    if col.kind in ("money", "pct", "int"):
        return max(12, widest_figure(pd.Series(values, dtype=object), col.kind) + 2)
    return max([len(col.label)] + [len(str(v)) for v in values[:200]]) + 2


def table_workbook(df: pd.DataFrame, name: str, items: list[tuple[str, Any]]) -> bytes:
    """The table on a sheet named after it and the filters on a "filters" sheet, with a note
    when the table is longer than a sheet and one per column of texts longer than a cell."""
    columns = infer_columns(df)
    notes = [cut_note(name, len(df)), *cut_text_notes(name, df, columns, "CSV and Parquet hold")]
    long = [k for k, v in items if isinstance(v, str) and too_long(v)]  # picks of many refs
    notes += [f"filter {k}: cut at {MAX_CELL:,} characters, the cell limit of Excel; CSV and "
              "Parquet hold it whole" for k in long]  # fmt: skip
    items = items + [("note", note) for note in notes if note]
    buf = io.BytesIO()
    wb = new_workbook(buf, f"refscope {name}", "; ".join(f"{k}: {v}" for k, v in items))
    fmt = Formats(wb)
    write_frame(wb.add_worksheet(sheet_name(name)), df, columns, fmt)
    ws = wb.add_worksheet("filters")
    ws.write_row(0, 0, ["filter", "value"], fmt.header)
    for r, (key, value) in enumerate(items, start=1):
        ws.write_string(r, 0, key, fmt.bold)
        kind = "date" if isinstance(value, dt.date) else "text"
        write_cell(ws, r, 1, value, kind, fmt)
    ws.set_column(0, 0, 12)
    ws.set_column(1, 1, 40)
    wb.close()
    return buf.getvalue()


def report_workbook(report: Report) -> bytes:
    """Summary (period, filters, KPIs), Charts (native), then one sheet per section."""
    f = report.filters
    buf = io.BytesIO()
    wb = new_workbook(buf, f"refscope report {period(f)}", report.scope)
    fmt = Formats(wb)
    summary, chart_ws = wb.add_worksheet("Summary"), wb.add_worksheet(CHARTS_SHEET)
    for s in report.sections:
        write_frame(wb.add_worksheet(sheet_name(s.title)), s.table, s.all_columns, fmt,
                    s.empty_note)  # fmt: skip
    _summary(summary, report, fmt, charts_sheet(wb, chart_ws, report, fmt))
    wb.close()
    return buf.getvalue()


def _summary(ws: Worksheet, report: Report, fmt: Formats, bar_notes: list[str]) -> None:
    f, p = report.filters, report.previous
    ws.write_string(0, 0, "refscope report", fmt.title)
    rows: list[tuple[str, Any, str]] = [
        ("From", f.start, "date"),
        ("To", f.end, "date"),
        ("Compared with", p.start, "date"),
        ("until", p.end, "date"),
        ("Pages", report.pages, "text"),
        ("Channels", report.channels, "text"),
        ("Days and times", "UTC", "text"),  # a day runs from 00:00 UTC
        ("Generated (UTC)", report.generated_at, "datetime"),
    ]
    for r, (label, value, kind) in enumerate(rows, start=2):
        ws.write_string(r, 0, label, fmt.bold)
        write_cell(ws, r, 1, value, kind, fmt)
    top = len(rows) + 3
    if not report.has_data:
        ws.write_string(top, 0, report.no_data_message, fmt.note)
        top += 2
    headers = ["Metric", "This period", "Previous period", "Change", "Change %", "Change (text)"]
    ws.write_row(top, 0, headers, fmt.header)
    for r, k in enumerate(report.kpis, start=top + 1):
        ws.write_string(r, 0, k.label, fmt.bold)
        write_cell(ws, r, 1, k.value, k.kind, fmt)
        write_cell(ws, r, 2, k.previous, k.kind, fmt)
        # The changes as format_change writes them, beside: no float tail (12.499999 for
        # 12.50) in the cell a manager copies.
        write_cell(ws, r, 3, as_shown(k.change, k.kind), k.kind, fmt)
        write_cell(ws, r, 4, as_shown(k.relative, "pct"), "pct", fmt)
        ws.write_string(r, 5, format_change(k))
    r = top + len(report.kpis) + 2
    ws.write_string(r, 0, "Rates change in percentage points; Change % is against the previous "
                    "period.", fmt.note)  # fmt: skip
    for note in report.kpi_notes:  # what reachable contacts, spend and cost per contact count
        r += 1
        ws.write_string(r, 0, note, fmt.note)
    for s in report.sections:
        cut = cut_text_notes(s.title, s.table, s.all_columns, "the HTML report holds")
        for note in (f"{s.title}: {s.note}" if s.note else "", cut_note(s.title, len(s.table)),
                     *cut):  # fmt: skip
            if note:
                r += 1
                ws.write_string(r, 0, note, fmt.note)
    kept = "the HTML report holds"
    for note in (cut_cells_note("Pages", [report.pages], kept),
                 cut_cells_note("Channels", [report.channels], kept), *bar_notes):  # fmt: skip
        if note:
            r += 1
            ws.write_string(r, 0, note, fmt.note)
    ws.set_column(0, 0, 28)
    ws.set_column(1, 5, 20)  # "Generated (UTC)": yyyy-mm-dd hh:mm:ss, as write_frame
