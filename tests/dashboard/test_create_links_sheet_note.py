"""The Create links page says, beside its Print sheet download, when the sheet's label prints
characters its font lacks (CJK, emoji with DejaVu Sans) as the mark; the sheet says so too."""

from __future__ import annotations

from pathlib import Path

import pytest

from dashboard import link_maker
from ingest import pdf_text, qr
from tests.dashboard.screen import show

pytestmark = pytest.mark.skipif(pdf_text.font_files() is None, reason="no TrueType font")
MARK = pdf_text.MISSING_GLYPH


def test_the_create_links_page_says_its_print_sheet_label_prints_the_mark(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REFSCOPE_DB", str(tmp_path / "none.duckdb"))  # nothing registered
    p = link_maker.preview("acmebakery", "qr_tokyo", "qr", "東京", "window", "",
                           qr.QrStyle())  # fmt: skip
    assert p.error is None and p.sheet_note is not None
    assert f"label shows {MARK} for characters its font does not have" in p.sheet_note
    latin = link_maker.preview("acmebakery", "qr_lodz", "qr", "Łódź", "window", "",
                               qr.QrStyle())  # fmt: skip
    assert latin.sheet and latin.sheet_note is None


def test_the_create_links_page_shows_the_note_beside_its_downloads(open_app, demo_copy):
    at = show(open_app(demo_copy), "create_links")
    at.radio[0].set_value("qr").run()
    for i, value in enumerate(("東京", "window", "tokyo_window")):  # campaign, placement, ref
        at.text_input[i].input(value).run()
    assert not at.exception
    notes = [c.value for c in at.caption if "print sheet's label" in str(c.value)]
    assert len(notes) == 1 and MARK in notes[0], [c.value for c in at.caption]
