"""The codes on the print sheet of `refscope links import --out` are decoded back too (issue 4:
"every generated code is decoded back and must equal the URL"): each cell's code is its own
row's URL, on the page that prints that row's label, with colours, a logo and a redirect."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from click.testing import CliRunner
from pypdf import PdfReader

from ingest import qr, qr_sheet
from ingest.cli import cli
from tests.ingest.links_setup import logo_png

PRINTED_PX = 560  # a code's side on the sheet (47 mm) at 300 dpi


def _decoded(image: Any) -> str:
    """The URL of one embedded code image, read as it is printed: drawn at the cell's size, on
    the white sheet."""
    grey = np.asarray(image.convert("L"))
    scale = max(PRINTED_PX // grey.shape[0], 1)
    grey = cv2.resize(grey, None, fx=scale, fy=scale, interpolation=cv2.INTER_NEAREST)
    text, _points, _ = cv2.QRCodeDetector().detectAndDecode(
        cv2.copyMakeBorder(grey, 16, 16, 16, 16, cv2.BORDER_CONSTANT, value=255)
    )
    return str(text)


def _sheet(pdf: bytes | Path) -> list[tuple[list[str], str]]:
    """Each page's decoded codes, in the order drawn, and its text."""
    reader = PdfReader(io.BytesIO(pdf) if isinstance(pdf, bytes) else pdf)
    return [
        ([_decoded(i.image) for i in page.images], page.extract_text()) for page in reader.pages
    ]


def test_each_code_on_the_sheet_is_its_rows_url_beside_its_label(
    tmp_path: Path, runner: CliRunner, db_path: Path
) -> None:
    rows = [(("acmebakery", "northwindcoffee")[i % 2], f"flyer_{i:02d}") for i in range(11)]
    csv_file = tmp_path / "flyers.csv"
    csv_file.write_text(
        "page,ref,channel,campaign,placement\n"
        + "".join(f"{page},{ref},qr,spring,Store {i}\n" for i, (page, ref) in enumerate(rows))
    )
    logo = tmp_path / "logo.png"
    logo.write_bytes(logo_png())
    out = tmp_path / "print"
    res = runner.invoke(cli, [
        "links", "import", str(csv_file), "--out", str(out), "--db", str(db_path),
        "--via-redirect", "https://go.example.com/qr", "--logo", str(logo),
        "--fg", "#1a237e", "--bg", "#fffde7",
    ])  # fmt: skip
    assert res.exit_code == 0, res.output
    urls = [f"https://go.example.com/qr/r/{ref}?page={page}&qr=1" for page, ref in rows]
    pages = _sheet(out / "print-sheet.pdf")
    assert [len(codes) for codes, _ in pages] == [9, 2]  # nine cells a page
    assert [url for codes, _ in pages for url in codes] == urls  # each cell its own row's URL
    for codes, text in pages:
        for url in codes:  # the label beside it is printed on the same page
            ref = url.split("/r/")[1].split("?")[0]
            assert ref in text


def test_a_sheet_of_long_refs_and_small_modules_scans_as_printed() -> None:
    """The longest refs (250 characters) at the smallest box size: the sheet's cell still
    holds a code that reads back as its URL."""
    urls = [f"https://m.me/acmebakery?ref={c * 250}" for c in "ab"]
    style = qr.QrStyle(box_size=1, border=4)
    items = [(url, url[-250:][:20], "campaign / placement") for url in urls]
    ((codes, _text),) = _sheet(qr_sheet.print_sheet(items, style))
    assert codes == urls
