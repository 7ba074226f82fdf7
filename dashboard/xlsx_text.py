"""What an XLSX sheet cannot hold: rows past its last, texts longer than a cell.

A cell holds 32,767 characters (UTF-16 units: an emoji counts two), and xlsxwriter cuts a longer
text there without a word; a link's notes have no limit, and a ref (2,083 characters), a page
address or an ad's name can be long too. Such a text keeps its start and ends with CUT_MARK, and
the workbook's notes say which column (cut_text_notes).
https://support.microsoft.com/office/excel-specifications-and-limits
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd

from dashboard.report_model import Column

MAX_CELL = 32_767
# An Excel sheet holds 1,048,576 rows, the header one of them, and xlsxwriter skips a cell below
# them without a word: a longer table is cut at this many rows, and the workbook says so.
MAX_ROWS = 1_048_575
TYPED_KINDS = ("int", "float", "money", "pct", "date", "datetime", "bool")  # else a text
CUT_MARK = " … [cut: {n:,} characters in all; the cell limit of Excel]"


def _units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def too_long(text: str) -> bool:
    """Whether a cell cannot hold the text whole."""
    return len(text) > MAX_CELL // 2 and _units(text) > MAX_CELL


def fit_cell(text: str) -> str:
    """The text as a cell holds it: whole, or its start and CUT_MARK when longer than a cell."""
    if not too_long(text):
        return text
    mark = CUT_MARK.format(n=len(text))
    room = (MAX_CELL - _units(mark)) * 2
    # A surrogate pair split at the cut is dropped, not left half.
    return text.encode("utf-16-le")[:room].decode("utf-16-le", errors="ignore") + mark


def missing(v: Any) -> bool:
    return v is None or (not isinstance(v, str | bytes | list | tuple) and bool(pd.isna(v)))


def cut_note(name: str, rows: int) -> str:
    """What a workbook says of a table of this many rows that a sheet cannot hold ("" if it
    can): the reader of a cut table must not take its rows for all of them."""
    if rows <= MAX_ROWS:
        return ""
    return f"table {name}: first {MAX_ROWS:,} of {rows:,} rows; the sheet limit of Excel"


def cut_text_notes(name: str, df: pd.DataFrame, columns: Sequence[Column], kept: str
                   ) -> list[str]:  # fmt: skip
    """What a workbook says of the texts of a table that a cell cannot hold (see fit_cell), a
    note per column; kept: what holds them whole ("CSV and Parquet hold")."""
    df = df.iloc[:MAX_ROWS]
    texts = [c for c in columns if c.kind not in TYPED_KINDS and c.name in df.columns]
    notes = (cut_cells_note(f"table {name}", df[c.name].tolist(), kept, f" of column {c.label}")
             for c in texts)  # fmt: skip
    return [n for n in notes if n]


def cut_cells_note(where: str, values: Iterable[Any], kept: str, of: str = "") -> str:
    """What a workbook says of values a cell cannot hold whole ("" if it can hold each): how
    many cells, of what (of: " of column Notes"), and what else holds them whole (kept)."""
    n = sum(not missing(v) and too_long(str(v)) for v in values)
    if not n:
        return ""
    cells = "1 cell" if n == 1 else f"{n:,} cells"
    return (f"{where}: {cells}{of} cut at {MAX_CELL:,} characters, the cell limit of Excel, "
            f"each ending \"… [cut: N characters in all; …]\"; {kept} them whole")  # fmt: skip
