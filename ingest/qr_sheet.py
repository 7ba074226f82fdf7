"""The printable A4 sheet of QR codes: one cut-out cell per code, labelled with its ref, page
and campaign / placement, with cut marks at the corners.

Pure: bytes in, bytes out; writing files is the caller's business.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from . import pdf_text
from .qr import QrStyle, code_image, matrix

SHEET_COLUMNS = 3
SHEET_CELL_MM = (63.0, 80.0)  # width, height of one cut-out: code, ref and placement label
CODE_MARGIN_MM = 8.0  # left and right of the code in its cell
LABEL_MARGIN_MM = 2.0  # labels stay this far inside the cut lines
# The title and subtitle boxes: (top in mm below the code, height in mm, largest and smallest
# font size in pt). Both end 3.5 mm above the cell's bottom cut line.
TITLE_BOX = (1.0, 13.0, 9.0, 4.0)
SUBTITLE_BOX = (14.5, 10.0, 7.0, 4.0)
PT_MM = 25.4 / 72
LINE_SPACING = 1.15


@dataclass(frozen=True)
class Sheet:
    """A drawn print sheet: its PDF, and which items' labels show the mark for characters the
    font lacks (their indices in the items given), and that mark."""

    pdf: bytes
    lacking: list[int]
    mark: str


def print_sheet(items: Sequence[tuple[str, str, str]], style: QrStyle | None = None) -> bytes:
    """A printable A4 PDF: one cell per (url, title, subtitle), with cut marks at the corners.

    Labels are wrapped and shrunk to stay inside their cell (a 250-character ref included).
    """
    return drawn_sheet(items, style).pdf


def drawn_sheet(items: Sequence[tuple[str, str, str]], style: QrStyle | None = None) -> Sheet:
    """print_sheet's PDF, and the labels it printed with marks. A page holding such a label
    says so below its cells (outside the cut marks): a label cut out with marks for its CJK,
    Thai or emoji would otherwise go on a flyer unnoticed."""
    from fpdf import FPDF  # only the print sheet needs it

    style = (style or QrStyle()).checked()
    pdf = FPDF(format="A4", unit="mm")
    pdf.set_auto_page_break(False)
    face = pdf_text.body_font(pdf, bold=False)  # "Łódź", not "?ód?"
    pdf.set_font(face, size=9)
    w, h = SHEET_CELL_MM
    left, top = (210 - SHEET_COLUMNS * w) / 2, 12.0
    rows = int((297 - 2 * top) // h)
    per_page = SHEET_COLUMNS * rows
    lacking: list[int] = []
    for i, (url, title, subtitle) in enumerate(items):
        slot = i % per_page
        if slot == 0:
            pdf.add_page()
        x = left + (slot % SHEET_COLUMNS) * w
        y = top + (slot // SHEET_COLUMNS) * h
        _cut_marks(pdf, x, y, w, h)
        side = w - 2 * CODE_MARGIN_MM
        code = code_image(matrix(url, style), style)
        pdf.image(code, x=x + CODE_MARGIN_MM, y=y + 5, w=side, h=side)
        below = y + 5 + side
        shown = [pdf_text.printable(pdf, face, t) for t in (title, subtitle)]
        _label(pdf, shown[0], x, below, TITLE_BOX)
        _label(pdf, shown[1], x, below, SUBTITLE_BOX)
        if any(map(pdf_text.lacked, (face, face), (title, subtitle), shown)):
            lacking.append(i)
        if slot == per_page - 1 or i == len(items) - 1:  # the page's last cell
            on_page = [n - (i - slot) + 1 for n in lacking if n >= i - slot]
            _lacking_note(pdf, on_page, pdf_text.mark(face), left, top + rows * h + 8)
    if not items:
        pdf.add_page()
        pdf.cell(0, 10, "No links to print.")
    return Sheet(bytes(pdf.output()), lacking, pdf_text.mark(face))


def lacking_note(cells: Sequence[int], mark: str) -> str:
    """What a page of the sheet says of its cells (numbered from 1) whose labels show mark."""
    if len(cells) == 1:
        which = f"label of code {cells[0]}"
    else:
        which = f"labels of codes {', '.join(map(str, cells[:-1]))} and {cells[-1]}"
    return (f"The {which} on this page (counted left to right, top to bottom) "
            f"{'holds' if len(cells) == 1 else 'hold'} characters this sheet's font does not "
            f"have: they print as {mark}. The codes scan as they should; check those labels "
            "before cutting.")  # fmt: skip


def _lacking_note(pdf: Any, cells: list[int], mark: str, x: float, y: float) -> None:
    if not cells:
        return
    pdf.set_font_size(8)
    pdf.set_xy(x, y)
    pdf.multi_cell(SHEET_COLUMNS * SHEET_CELL_MM[0], 8 * PT_MM * LINE_SPACING,
                   lacking_note(cells, mark))  # fmt: skip


def _label(pdf: Any, text: str, x: float, below: float, box: tuple[float, ...]) -> None:
    """Centred, wrapped text in a box of the cell, at the largest size whose lines fit; what
    does not fit at the smallest size ends in '...'."""
    top, height, largest, smallest = box
    width = SHEET_CELL_MM[0] - 2 * LABEL_MARGIN_MM
    size = largest
    while True:
        pdf.set_font_size(size)
        line_h = size * PT_MM * LINE_SPACING
        lines = pdf.multi_cell(width, line_h, text, dry_run=True, output="LINES")
        if len(lines) * line_h <= height or size <= smallest:
            break
        size = max(size - 0.5, smallest)
    keep = max(int(height // line_h), 1)
    if len(lines) > keep:
        last = lines[keep - 1]
        while last and pdf.get_string_width(last + "...") > width - 2 * pdf.c_margin:
            last = last[:-1]
        lines = [*lines[: keep - 1], last + "..."]
    pdf.set_xy(x + LABEL_MARGIN_MM, below + top)
    for line in lines:  # wrapped in the order typed, each line drawn in reading order
        pdf.cell(width, line_h, pdf_text.visual(line), align="C", new_x="LEFT", new_y="NEXT")


def _cut_marks(pdf: object, x: float, y: float, w: float, h: float) -> None:
    mark = 3.0
    for cx, cy in ((x, y), (x + w, y), (x, y + h), (x + w, y + h)):
        pdf.line(cx - mark, cy, cx + mark, cy)  # type: ignore[attr-defined]
        pdf.line(cx, cy - mark, cx, cy + mark)  # type: ignore[attr-defined]
