"""QR styles and the print sheet: colours that scan and that every output reads the same, and
labels that stay inside their cell."""

from __future__ import annotations

import io

import pytest
from fpdf import FPDF
from pypdf import PdfReader

from ingest import links, qr
from ingest.errors import ValidationError
from tests.ingest.test_links import URL, decode, svg_to_png

MM = 72 / 25.4  # PDF points per millimetre
A4_HEIGHT_PT = 297 * MM


@pytest.mark.parametrize(
    ("foreground", "background"),
    [("#777777", "#888888"), ("#ffffff", "#000000"), ("yellow", "white"), ("#000", "#000")],
    ids=["grey-on-grey", "inverted", "yellow-on-white", "same"],
)
def test_colours_that_would_not_scan_are_refused(foreground: str, background: str) -> None:
    with pytest.raises(ValidationError, match="needs a foreground darker than its background"):
        qr.png_bytes(URL, qr.QrStyle(foreground=foreground, background=background))


def test_every_colour_reaches_the_svg_as_rrggbb() -> None:
    style = qr.QrStyle(foreground="hsv(240, 100%, 40%)", background="hsl(50, 100%, 95%)")
    svg = qr.svg_bytes(URL, style).decode()
    assert 'fill="#000066"' in svg and 'fill="#fffbe5"' in svg
    assert "hsv(" not in svg and "hsl(" not in svg
    assert decode(svg_to_png(svg.encode())) == URL
    assert decode(qr.png_bytes(URL, style)) == URL


@pytest.mark.parametrize("colour", ["#00000080", "not-a-colour"], ids=["translucent", "unknown"])
def test_a_colour_every_output_cannot_show_alike_is_refused(colour: str) -> None:
    with pytest.raises(ValidationError, match=f"invalid colour '{colour}': give an opaque"):
        qr.QrStyle(foreground=colour).checked()


def text_runs(pdf: bytes) -> list[tuple[str, float, float, float]]:
    """(text, x, baseline y, font size) of each text run on the first page, in points."""
    runs: list[tuple[str, float, float, float]] = []

    def visit(text: str, _cm: object, tm: list[float], _font: object, size: float) -> None:
        if text.strip():
            runs.append((text, tm[4], tm[5], size))

    PdfReader(io.BytesIO(pdf)).pages[0].extract_text(visitor_text=visit)
    return runs


def test_print_sheet_labels_stay_inside_their_cell_and_name_the_page() -> None:
    long_ref = ("qr_" + "store_window_" * 20)[:250]
    items = [
        links.make_link("acmebakery", long_ref, "qr", "Spring " * 30, "Window " * 20),
        links.make_link("1122334455667788", "qr_flyer_spring", "qr", "demo", "flyer"),
        links.make_link("203948571620394", "qr_flyer_spring", "qr", "demo", "flyer"),
    ]
    pdf = qr.print_sheet([links.sheet_label(x) for x in items])
    runs = text_runs(pdf)
    metrics = FPDF(unit="pt")
    metrics.set_font("Helvetica")
    cell_w, cell_h = (v * MM for v in qr.SHEET_CELL_MM)
    left0 = (210 * MM - qr.SHEET_COLUMNS * cell_w) / 2
    top = A4_HEIGHT_PT - 12 * MM
    for text, x, y, size in runs:
        metrics.set_font_size(size)
        column = int((x - left0) // cell_w)
        left, right = left0 + column * cell_w, left0 + (column + 1) * cell_w
        assert left < x and x + metrics.get_string_width(text) < right, (text, size)
        assert top - cell_h < y - size * 0.25 and y + size < top, (text, y)
    in_first_cell = [t for t, x, _, _ in runs if x < left0 + cell_w]
    assert "".join(in_first_cell).startswith(long_ref)  # the whole ref, wrapped
    text = " ".join(t for t, _, _, _ in runs)
    assert "page 1122334455667788 · demo / flyer" in text
    assert "page 203948571620394 · demo / flyer" in text
    assert "page acmebakery" in text
