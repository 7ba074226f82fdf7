"""The cells of refscope's XLSX files (xlsxwriter): a number, date or boolean in a typed cell
with its number format, never a number as text; the header and note formats; valid sheet names.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from typing import Any

import pandas as pd
import xlsxwriter
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from dashboard.xlsx_text import fit_cell, missing

NUMBER_FORMATS = {
    "int": "#,##0",
    "float": "General",  # "0.####" shows a whole 280 as "280."
    "money": "#,##0.00",
    "pct": "0.0%",
    "date": "yyyy-mm-dd",
    "datetime": "yyyy-mm-dd hh:mm:ss",
}
MAX_WIDTH = 60  # characters; longer text wraps off-screen rather than widening the sheet


class Formats:
    def __init__(self, wb: Workbook) -> None:
        self.header = wb.add_format(
            {"bold": True, "bg_color": "#1F4E79", "font_color": "#FFFFFF", "border": 1,
             "text_wrap": True, "valign": "top"}
        )  # fmt: skip
        self.title = wb.add_format({"bold": True, "font_size": 14})
        self.bold = wb.add_format({"bold": True})
        self.note = wb.add_format({"italic": True, "font_color": "#595959"})
        self.kinds = {k: wb.add_format({"num_format": v}) for k, v in NUMBER_FORMATS.items()}

    def of(self, kind: str) -> Any:
        return self.kinds.get(kind)


def new_workbook(buf: io.BytesIO, title: str, comments: str) -> Workbook:
    wb = xlsxwriter.Workbook(buf, {"in_memory": True, "remove_timezone": True})
    wb.set_properties({"title": title, "comments": comments, "author": "refscope"})
    return wb


def _datetime(v: Any) -> dt.datetime:
    ts = pd.Timestamp(v)
    if ts.tzinfo is not None:
        ts = ts.tz_convert("UTC").tz_localize(None)
    out: dt.datetime = ts.to_pydatetime()
    return out


def write_cell(ws: Worksheet, row: int, col: int, v: Any, kind: str, fmt: Formats) -> None:
    """One typed cell: a number, date or boolean as such; a missing value as a blank."""
    if missing(v):
        ws.write_blank(row, col, None)
    elif kind in ("int", "float", "money", "pct"):
        ws.write_number(row, col, float(v), fmt.of(kind))
    elif kind in ("date", "datetime"):
        ws.write_datetime(row, col, _datetime(v), fmt.of(kind))
    elif kind == "bool":
        ws.write_boolean(row, col, bool(v))
    else:
        ws.write_string(row, col, fit_cell(str(v)))


def widest_figure(values: pd.Series, kind: str) -> int:
    """Characters a spreadsheet shows of the widest of int, money or pct cells in their number
    format (NUMBER_FORMATS): of the largest or the most negative; 0 without a number."""
    numbers = pd.to_numeric(values, errors="coerce").dropna()
    if numbers.empty:
        return 0
    ends = (float(numbers.min()), float(numbers.max()))
    if kind == "pct":
        return max(len(f"{v * 100:.1f}%") for v in ends)
    return max(len(f"{v:,.2f}" if kind == "money" else f"{v:,.0f}") for v in ends)


def sheet_name(name: str) -> str:
    """A valid Excel sheet name: at most 31 characters, none of []:*?/\\."""
    return re.sub(r"[\[\]:*?/\\]", "_", name)[:31] or "data"
