"""QR codes scan back to their URL: PNG and SVG in every style, scaled and blurred, and with a
logo (which forces high error correction)."""

from __future__ import annotations

import base64
import io
from xml.etree import ElementTree

import numpy as np
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


def _logo_box(png: bytes) -> tuple[int, int]:
    """Width and height of the red logo in a code."""
    red = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)
    ys, xs = np.nonzero((red[..., 0] > 150) & (red[..., 1] < 80) & (red[..., 2] < 80))
    return int(xs.max() - xs.min() + 1), int(ys.max() - ys.min() + 1)


@pytest.mark.parametrize("side", [32, 400])
def test_a_logo_is_drawn_at_one_size_in_the_png_and_the_svg(side: int) -> None:
    """A logo smaller than its share of the code (a 32 px favicon) was drawn at 32 px in the
    PNG, the preview and the print sheet, and at 22% of the code (106 px) in the SVG, whose
    read-back check was made on the PNG: the SVG's larger logo was never read back."""
    style = qr.QrStyle(logo=logo_png(side))
    png = qr.png_bytes(URL, style)
    width = Image.open(io.BytesIO(png)).width
    svg = svg_to_png(qr.svg_bytes(URL, style), width)
    share = int(width * qr.LOGO_SHARE)
    (png_w, png_h), (svg_w, svg_h) = _logo_box(png), _logo_box(svg)
    assert abs(png_w - share) <= 1 and abs(png_h - share) <= 1
    assert abs(svg_w - png_w) <= 2 and abs(svg_h - png_h) <= 2
    assert decode(png) == URL and decode(svg) == URL


def test_a_phone_photo_logo_is_drawn_upright_in_the_png_and_the_svg() -> None:
    """A JPEG whose EXIF says "turn 90°" (a phone photo: stored landscape, shown portrait) was
    drawn as stored in the PNG and the print sheet, lying on its side, while an SVG viewer
    turns it upright (into a box sized for the stored shape): the two codes differed."""
    stored = Image.new("RGB", (240, 80), (200, 30, 30))
    exif = Image.Exif()
    exif[0x0112] = 6  # shown turned 90° clockwise: 80 wide, 240 high
    buf = io.BytesIO()
    stored.save(buf, format="JPEG", quality=95, exif=exif)
    style = qr.QrStyle(logo=buf.getvalue())
    png = qr.png_bytes(URL, style)
    width = Image.open(io.BytesIO(png)).width
    svg = svg_to_png(qr.svg_bytes(URL, style), width)
    share = int(width * qr.LOGO_SHARE)
    (png_w, png_h), (svg_w, svg_h) = _logo_box(png), _logo_box(svg)
    assert abs(png_h - share) <= 2 and abs(png_w - share / 3) <= 2  # upright, as shown
    assert abs(svg_w - png_w) <= 2 and abs(svg_h - png_h) <= 2
    assert decode(png) == URL and decode(svg) == URL


def test_an_svg_logo_is_linked_as_svg_1_1_readers_read_it() -> None:
    """The logo was linked by SVG 2's bare `href` only, which readers of SVG 1.1 (image viewers
    on librsvg, Inkscape before 1.0, print shops' tools) do not read: the code came without its
    logo there. It is linked by `xlink:href`, which SVG 1.1 and SVG 2 readers both read."""
    svg = qr.svg_bytes(URL, qr.QrStyle(logo=logo_png()))
    root = ElementTree.fromstring(svg)  # the xlink prefix is declared: well-formed XML
    (image,) = root.iter("{http://www.w3.org/2000/svg}image")
    assert image.get("{http://www.w3.org/1999/xlink}href", "").startswith("data:image/png;base64,")
    assert decode(svg_to_png(svg)) == URL
    plain = ElementTree.fromstring(qr.svg_bytes(URL))  # no logo: nothing to link
    assert not list(plain.iter("{http://www.w3.org/2000/svg}image"))


@pytest.mark.parametrize("fmt", ["GIF", "WEBP", "BMP", "TIFF"])
def test_an_svg_logo_of_another_format_is_embedded_as_a_png(fmt: str) -> None:
    """`--logo` takes any image PIL reads; the SVG embedded a GIF, WebP, BMP or TIFF logo as it
    was, labelled image/jpeg, so a reader that trusts the label, or lacks the format (browsers
    and TIFF), drew the code without its logo."""
    buf = io.BytesIO()
    Image.new("CMYK" if fmt == "TIFF" else "RGB", (120, 120), "red").save(buf, format=fmt)
    svg = qr.svg_bytes(URL, qr.QrStyle(logo=buf.getvalue()))
    (image,) = ElementTree.fromstring(svg).iter("{http://www.w3.org/2000/svg}image")
    mime, data = image.get("{http://www.w3.org/1999/xlink}href", "").split(";base64,")
    assert mime == "data:image/png"
    assert Image.open(io.BytesIO(base64.b64decode(data))).format == "PNG"
    assert decode(svg_to_png(svg)) == URL


@pytest.mark.parametrize("logo", [False, True], ids=["plain", "logo"])
@pytest.mark.parametrize("box_size", [80, 100])
def test_a_code_of_print_sized_modules_is_written_and_scans(box_size: int, logo: bool) -> None:
    """`--box-size` takes up to 100 pixels a module, for print. OpenCV finds no code in an
    image of much over 2,400 px, and the read-back looked at the PNG at its own size: every
    code of 70 px a module or more was refused as not scanning, "a larger box size usually
    mends it". Written, it is the same modules as at 10 px, and scans as a camera sees it."""
    style = qr.QrStyle(box_size=box_size, logo=logo_png() if logo else None)
    img = Image.open(io.BytesIO(qr.png_bytes(URL, style)))
    n = len(qr.matrix(URL, style.checked()))
    assert img.size == (n * box_size, n * box_size)
    seen = img.resize((n * 8, n * 8), Image.Resampling.NEAREST)  # as a phone's camera frames it
    buf = io.BytesIO()
    seen.save(buf, format="PNG")
    assert decode(buf.getvalue()) == URL
    assert decode(svg_to_png(qr.svg_bytes(URL, style), 1000)) == URL
