"""QR codes scan back to their URL: PNG and SVG in every style, scaled and blurred, and with a
logo (which forces high error correction)."""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageFilter

from ingest import qr
from tests.ingest.links_setup import URL, decode, logo_png, svg_to_png

STYLES = {
    "default": qr.QrStyle(),
    "small-L": qr.QrStyle(box_size=4, border=4, error_correction="L"),
    "colours": qr.QrStyle(foreground="#1a237e", background="#fff8e1", error_correction="Q"),
    "logo": qr.QrStyle(logo=logo_png()),
}


@pytest.mark.parametrize("style", STYLES.values(), ids=STYLES.keys())
def test_png_decodes_to_the_url(style: qr.QrStyle) -> None:
    assert decode(qr.png_bytes(URL, style)) == URL


@pytest.mark.parametrize("style", STYLES.values(), ids=STYLES.keys())
def test_svg_rendered_to_pixels_decodes_to_the_url(style: qr.QrStyle) -> None:
    assert decode(svg_to_png(qr.svg_bytes(URL, style))) == URL


def test_scaled_and_blurred_code_still_decodes() -> None:
    img = Image.open(io.BytesIO(qr.png_bytes(URL)))
    img = img.resize((img.width // 2, img.height // 2)).filter(ImageFilter.GaussianBlur(1))
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    assert decode(buf.getvalue()) == URL


def test_a_logo_forces_high_error_correction() -> None:
    plain = qr.matrix(URL, qr.QrStyle(error_correction="L"))
    with_logo = qr.matrix(URL, qr.QrStyle(error_correction="L", logo=logo_png()))
    assert qr.QrStyle(logo=logo_png()).level == qr.ERROR_LEVELS["H"]
    assert len(with_logo) > len(plain)  # level H needs more modules for the same data
