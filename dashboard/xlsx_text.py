"""Texts longer than an XLSX cell holds.

A cell holds 32,767 characters (UTF-16 units: an emoji counts two), and xlsxwriter cuts a longer
text there without a word; a link's notes have no limit, and a ref (2,083 characters), a page
address or an ad's name can be long too. Such a text keeps its start and ends with CUT_MARK, and
the workbook's notes say which column (report_xlsx.cut_text_notes).
https://support.microsoft.com/office/excel-specifications-and-limits
"""

from __future__ import annotations

MAX_CELL = 32_767
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
