"""Whether a workbook's number and date cells fit their columns: a spreadsheet shows one wider
than its column as "#######"."""

from __future__ import annotations

import datetime as dt

import openpyxl


def shown(v: object, number_format: str) -> str:
    """About what a spreadsheet shows of a number or date cell in its format."""
    if isinstance(v, dt.datetime):
        return v.strftime({"yyyy-mm-dd": "%Y-%m-%d"}.get(number_format, "%Y-%m-%d %H:%M:%S"))
    assert isinstance(v, int | float)
    if number_format == "0.0%":
        return f"{v * 100:.1f}%"
    return f"{v:,.2f}" if number_format == "#,##0.00" else f"{v:,.0f}"


def unfit_cells(book: openpyxl.Workbook) -> list[tuple[str, str, object]]:
    """(sheet, cell, value) of each number or date cell its column is too narrow for, with a
    character to spare."""
    out = []
    for ws in book:
        widths = {c: d.width for d in ws.column_dimensions.values()
                  for c in range(d.min, d.max + 1)}  # fmt: skip
        for row in ws.iter_rows():
            for c in row:
                if isinstance(c.value, bool) or not isinstance(c.value, int | float | dt.datetime):
                    continue
                if widths.get(c.column, 8.43) < len(shown(c.value, c.number_format)) + 1:
                    out.append((ws.title, c.coordinate, c.value))
    return out
