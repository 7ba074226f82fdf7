"""Issue 4's "every generated code is decoded back and must equal the URL", for refs the
encoder's usual mask pattern leaves unreadable to OpenCV's QRCodeDetector."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ingest import qr
from ingest.cli import cli
from tests.ingest.links_setup import decode, logo_png, svg_to_png

# Real-looking refs whose lowest-penalty code OpenCV 5 could not find (one in about 70).
UNREADABLE_BEFORE = [
    "https://m.me/acmebakery?ref=spring_sale-store_162-2026_03",
    "https://m.me/1122334455667788?ref=qr_store24_window",
    "https://m.me/1122334455667788?ref=qr_store45_window",
    "https://m.me/1122334455667788?ref=qr_store100_window",
]


@pytest.mark.parametrize("url", UNREADABLE_BEFORE)
def test_a_code_the_usual_mask_leaves_unreadable_still_decodes(url: str) -> None:
    style = qr.QrStyle()
    assert decode(qr.png_bytes(url, style)) == url
    assert decode(svg_to_png(qr.svg_bytes(url, style))) == url


def test_codes_with_a_logo_decode_too() -> None:
    style = qr.QrStyle(logo=logo_png())
    for url in UNREADABLE_BEFORE:
        assert decode(qr.png_bytes(url, style)) == url
        assert decode(svg_to_png(qr.svg_bytes(url, style))) == url


def test_every_code_of_a_hundred_flyer_import_decodes_to_its_url(
    tmp_path: Path, runner: CliRunner, db_path: Path
) -> None:
    page = "1122334455667788"
    rows = [f"{page},qr_store{i}_window,qr,spring,store {i}," for i in range(1, 101)]
    csv_file = tmp_path / "flyers.csv"
    csv_file.write_text("page,ref,channel,campaign,placement,notes\n" + "\n".join(rows) + "\n")
    out = tmp_path / "codes"
    res: Any = runner.invoke(
        cli, ["links", "import", str(csv_file), "--out", str(out), "--db", str(db_path)]
    )
    assert res.exit_code == 0, res.output
    unreadable = [
        f"qr_store{i}_window"
        for i in range(1, 101)
        if decode((out / f"qr_store{i}_window.png").read_bytes())
        != f"https://m.me/{page}?ref=qr_store{i}_window"
    ]
    assert unreadable == []
