"""QR styles and the print sheet: colours that scan and that every output reads the same, and
labels that stay inside their cell."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import cairosvg
import pytest
import qrcode.constants
from click.testing import CliRunner
from fpdf import FPDF
from PIL import Image, ImageOps
from pypdf import PdfReader

from dashboard.cli import cli
from ingest import links, pdf_text, qr, qr_sheet
from ingest.errors import ValidationError
from tests.ingest.links_setup import URL, decode, svg_to_png

MM = 72 / 25.4  # PDF points per millimetre
A4_HEIGHT_PT = 297 * MM


def test_error_levels_are_qrcodes_own() -> None:
    """qr spells the levels out, so that building the options does not import qrcode: each
    must be the constant qrcode draws that level with (H for a logo, not another level)."""
    assert qr.ERROR_LEVELS == {
        level: getattr(qrcode.constants, f"ERROR_CORRECT_{level}") for level in "LMQH"
    }


@pytest.mark.parametrize(
    ("foreground", "background"),
    [("#777777", "#888888"), ("#ffffff", "#000000"), ("yellow", "white"), ("#000", "#000")],
    ids=["grey-on-grey", "inverted", "yellow-on-white", "same"],
)
def test_colours_that_would_not_scan_are_refused(foreground: str, background: str) -> None:
    with pytest.raises(ValidationError, match="needs a foreground darker than its background"):
        qr.png_bytes(URL, qr.QrStyle(foreground=foreground, background=background))


def test_the_contrast_rule_is_three_to_one_exactly() -> None:
    # Grey on white: #aaaaaa is 2.3:1 and #959595 just under 3:1 (refused), #949494 3.03:1.
    for grey, ratio in (("#aaaaaa", "2.3"), ("#959595", "3.0")):
        with pytest.raises(ValidationError, match=rf"#ffffff \(contrast {ratio}:1\)"):
            qr.QrStyle(foreground=grey, background="#ffffff").checked()
    assert qr.QrStyle(foreground="#949494", background="#ffffff").checked().foreground == "#949494"


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
    pdf = qr_sheet.print_sheet([links.sheet_label(x) for x in items])
    runs = text_runs(pdf)
    metrics = FPDF(unit="pt")
    metrics.set_font(pdf_text.body_font(metrics, bold=False))  # the sheet's own font
    cell_w, cell_h = (v * MM for v in qr_sheet.SHEET_CELL_MM)
    left0 = (210 * MM - qr_sheet.SHEET_COLUMNS * cell_w) / 2
    top = A4_HEIGHT_PT - 12 * MM
    for text, x, y, size in runs:
        metrics.set_font_size(size)
        column = int((x - left0) // cell_w)
        left, right = left0 + column * cell_w, left0 + (column + 1) * cell_w
        assert left < x and x + metrics.get_string_width(text) < right, (text, size)
        assert top - cell_h < y - size * 0.25 and y + size < top, (text, y)
    metrics.add_page()
    metrics.cell(text="x")
    metrics.output()  # fpdf2 reads a TrueType font lazily: output() is done with its file
    in_first_cell = [t for t, x, _, _ in runs if x < left0 + cell_w]
    assert "".join(in_first_cell).startswith(long_ref)  # the whole ref, wrapped
    text = " ".join(t for t, _, _, _ in runs)
    assert "page 1122334455667788 · demo / flyer" in text
    assert "page 203948571620394 · demo / flyer" in text
    assert "page acmebakery" in text


@pytest.mark.skipif(pdf_text.font_files() is None, reason="no TrueType font installed")
def test_print_sheet_labels_keep_letters_beyond_latin1() -> None:
    # Excel's CSVs bring en dashes and curly quotes; teams name campaigns in their language.
    item = links.make_link("acmebakery", "qr_lodz", "qr", "Łódź – “wiosna”", "Кафе 2")
    text = " ".join(t for t, _, _, _ in text_runs(qr_sheet.print_sheet([links.sheet_label(item)])))
    assert "Łódź – “wiosna” / Кафе 2" in text
    assert "?" not in text


@pytest.mark.parametrize("border", [0, 1, 3])
def test_a_code_with_a_narrow_quiet_zone_has_it_and_scans_once_placed_on_its_background(
    border: int,
) -> None:
    style = qr.QrStyle(border=border, box_size=5)
    img = Image.open(io.BytesIO(qr.png_bytes(URL, style))).convert("RGB")
    n = len(qr.matrix(URL, style.checked()))
    assert img.size == (n * 5, n * 5)
    dark = [x for x in range(img.width) if img.getpixel((x, border * 5 + 2)) == (0, 0, 0)]
    assert dark[0] == border * 5  # the finder pattern starts right after the quiet zone
    placed = ImageOps.expand(img, (qr.QUIET_ZONE - border) * 5, fill="white")
    buf = io.BytesIO()
    placed.save(buf, format="PNG")
    assert decode(buf.getvalue()) == URL


def test_a_code_that_does_not_read_back_is_refused_and_registers_nothing(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(qr, "_reader", lambda: lambda img: "")  # no mask ever reads back
    qr._scanning_mask.cache_clear()
    with pytest.raises(ValidationError, match="does not scan"):
        qr.png_bytes(URL + "_unread")
    db_file = tmp_path / "r.duckdb"
    args = ["links", "create", "--page", "acmebakery", "--ref", "qr_never", "--channel", "qr",
            "--out", str(tmp_path / "codes"), "--db", str(db_file)]  # fmt: skip
    res = runner.invoke(cli, args)
    assert res.exit_code == 1 and "does not scan" in res.output, res.output
    assert "Traceback" not in res.output
    assert list((tmp_path / "codes").glob("*")) == []
    listed = runner.invoke(cli, ["links", "list", "--db", str(db_file)])
    assert "qr_never" not in listed.output
    qr._scanning_mask.cache_clear()


@pytest.mark.parametrize("ref", ["flyer_15", "flyer_48"])
def test_an_svg_drawn_600_or_1000_pixels_wide_still_scans(ref: str) -> None:
    # The encoder's own mask for these refs reads back as the PNG but not once drawn 1000 (15)
    # or 600 (48) pixels wide: the read-back at those widths must pick another mask.
    url = f"https://m.me/acmebakery?ref={ref}"
    svg = qr.svg_bytes(url)
    for width in (600, 1000):
        png = cairosvg.svg2png(bytestring=svg, output_width=width, background_color="white")
        assert decode(bytes(png)) == url, width
    assert decode(qr.png_bytes(url)) == url


@pytest.mark.parametrize("fmt", ["JPEG", "GIF"])
def test_a_logo_cut_short_is_refused_with_the_rule_and_registers_nothing(
    runner: CliRunner, tmp_path: Path, fmt: str
) -> None:
    """A JPEG or GIF cut short (a download that stopped) passed the logo check, which reads
    no pixels of them, and failed once drawn: `image file is truncated` in the CLI, and an
    exception in place of the Create links page, which shows the rules it is told."""
    img = Image.new("RGB", (120, 120), (200, 30, 30))
    for i in range(0, 120, 7):
        img.paste((i * 2, 90, 255 - i * 2), (i, 0, i + 4, 120))
    buf = io.BytesIO()
    img.save(buf, format=fmt)
    logo = tmp_path / f"logo.{fmt.lower()}"
    logo.write_bytes(buf.getvalue()[:-40])
    with pytest.raises(ValidationError, match="the logo is not a readable image"):
        qr.png_bytes(URL, qr.QrStyle(logo=logo.read_bytes()))
    db_file = tmp_path / "r.duckdb"
    codes = str(tmp_path / "codes")
    args = ["links", "create", "--page", "acmebakery", "--ref", "qr_logo", "--channel", "qr",
            "--logo", str(logo), "--out", codes, "--db", str(db_file)]  # fmt: skip
    res = runner.invoke(cli, args)
    assert res.exit_code == 1 and "the logo is not a readable image" in res.output, res.output
    assert not (tmp_path / "codes").exists() and not db_file.exists()


def test_a_code_too_dense_to_read_back_names_what_makes_it_less_dense() -> None:
    """The longest username and ref the rules allow, the ref all `=` (each `%3D` in the URL),
    through a redirect server: at error correction H (a logo forces it) no mask reads back, and
    no box size mends that (the code is read back at the same widths); fewer modules do."""
    url = links.make_link("acme." * 10, "=" * 250, "qr", base_url="https://go.example.com/r").url
    logo = io.BytesIO()
    Image.new("RGB", (40, 40), "#c0392b").save(logo, format="PNG")
    for style, leave in ((qr.QrStyle(error_correction="H"), ""),
                         (qr.QrStyle(logo=logo.getvalue()), " (without the logo)")):  # fmt: skip
        with pytest.raises(ValidationError) as refused:
            qr.png_bytes(url, style)
        said = str(refused.value)
        assert "does not scan" in said and "125 modules a side" in said, said
        assert f"a shorter ref or redirect address, or a lower error correction{leave}" in said
        assert "smaller logo" not in said  # no option sets a logo's size
    assert decode(qr.png_bytes(url, qr.QrStyle(error_correction="Q"))) == url


def _png_header(width: int, height: int) -> bytes:
    """A PNG that declares width x height greyscale pixels and holds none: what Pillow reads
    of an image's size before its pixels (a print-resolution logo's, without its megabytes)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IEND", b"")


@pytest.mark.parametrize("side", [10_000, 20_000], ids=["warned", "refused-by-pillow"])
def test_a_logo_of_too_many_pixels_is_refused_as_too_large(
    runner: CliRunner, tmp_path: Path, side: int
) -> None:
    """A logo of more pixels than Pillow opens without its decompression-bomb warning (a
    print-resolution export) is refused as too large, saying the limit, not as "not a readable
    image" (over twice the limit), nor drawn after Python's raw warning naming a file of Pillow
    (up to it), with nothing registered."""
    logo = tmp_path / "logo.png"
    logo.write_bytes(_png_header(side, side))
    said = f"the logo has more than {Image.MAX_IMAGE_PIXELS:,} pixels"
    with pytest.raises(ValidationError, match=said):
        qr.png_bytes(URL, qr.QrStyle(logo=logo.read_bytes()))
    db_file, codes = tmp_path / "r.duckdb", str(tmp_path / "codes")
    args = ["links", "create", "--page", "acmebakery", "--ref", "qr_logo", "--channel", "qr",
            "--logo", str(logo), "--out", codes, "--db", str(db_file)]  # fmt: skip
    res = runner.invoke(cli, args)
    assert res.exit_code == 1 and said in res.output, res.output
    assert "Warning" not in res.output and not db_file.exists()


def test_a_logo_is_decoded_once_however_many_codes_draw_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every code of a print (its PNG, its read-backs, its SVG, its cell on the sheet) draws
    the same logo: it is decoded and scaled once, not for each (a 3,000 px logo made 30 flyers
    take 80 s instead of 14)."""
    logo = io.BytesIO()
    Image.new("RGB", (64, 48), "#c0392b").save(logo, format="PNG")
    style = qr.QrStyle(logo=logo.getvalue())
    decoded = 0
    real_open = Image.open

    def counting_open(fp: object, *args: object, **kwargs: object) -> Image.Image:
        nonlocal decoded
        image = real_open(fp, *args, **kwargs)  # type: ignore[arg-type]
        if image.size == (64, 48):
            decoded += 1
        return image

    monkeypatch.setattr(Image, "open", counting_open)
    urls = [f"https://m.me/acmebakery?ref=flyer_{i:02d}" for i in range(12)]
    for url in urls:
        assert decode(qr.png_bytes(url, style)) == url
        qr.svg_bytes(url, style)
    qr_sheet.print_sheet([(url, url[-8:], "spring / store") for url in urls], style)
    assert decoded <= 4, decoded  # the check's two, its EXIF's and its drawing's


@pytest.mark.parametrize("colour", ["#000", "#FFF", " #AbC ", "#12345", "#abcdefff", "red", "#g0g"])
def test_a_hex_colour_read_without_pil_is_read_as_pil_reads_it(colour: str) -> None:
    """#rgb and #rrggbb are read without PIL (a link drawing no code checks its colours too)."""
    from PIL import ImageColor

    try:
        expected = "#{:02x}{:02x}{:02x}".format(*ImageColor.getrgb(colour.strip())[:3])
    except ValueError:
        with pytest.raises(ValidationError, match="invalid colour"):
            qr._hex(colour)
    else:
        assert qr._hex(colour) == expected
