"""The note of ad contacts through ads no pulled insights name (report_model.unpulled_note) in
the reports' Ads section too, beside the ads' spend and cost per contact, each format read
back: the PDF's and HTML's Ads section, the XLSX's notes of its Ads sheet (on Summary, as
"Ads: …"); nothing there, no empty text, when the note does not apply."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import openpyxl
import pypdf
import pytest

from dashboard.cli import cli
from tests.dashboard.report_setup import needs_chromium
from tests.dashboard.test_unpulled_ad_contacts import DAY, NOTE, SAID, build

FORMATS = [pytest.param("pdf", marks=needs_chromium), "xlsx", "html"]


class _Notes(HTMLParser):
    """The HTML report's notes (<p class="note">) by the id of the <h2> before them."""

    def __init__(self) -> None:
        super().__init__()
        self.notes: dict[str, list[str]] = {}
        self.key, self.text = "", None  # the section read, the text of the note read

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "h2":
            self.key = dict(attrs).get("id") or ""
        elif tag == "p" and dict(attrs).get("class") == "note":
            self.text = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "p" and self.text is not None:
            self.notes.setdefault(self.key, []).append(self.text)
            self.text = None

    def handle_data(self, data: str) -> None:
        if self.text is not None:
            self.text += data


def _said(out: Path, fmt: str) -> tuple[list[str], list[str]]:
    """What the report says of unpulled ads below its key figures, and in its Ads section."""
    if fmt == "html":
        parsed = _Notes()
        parsed.feed(out.read_text(encoding="utf-8"))
        kpis, ads = parsed.notes.get("kpis", []), parsed.notes.get("ads", [])
        return [n for n in kpis if SAID in n], [n for n in ads if SAID in n]
    if fmt == "xlsx":
        book = openpyxl.load_workbook(out)
        cells = [c for r in book["Summary"].iter_rows(values_only=True) for c in r if c]
        said = [c for c in cells if isinstance(c, str) and SAID in c]
        sheet = [c for r in book["Ads"].iter_rows(values_only=True) for c in r if c]
        assert not [c for c in sheet if isinstance(c, str) and SAID in c]  # the sheet: its rows
        return [c for c in said if not c.startswith("Ads: ")], [
            c.removeprefix("Ads: ") for c in said if c.startswith("Ads: ")
        ]
    # The PDF's lines as one text (a note wraps), cut at the Ads section's heading and the next.
    text = " ".join("\n".join(p.extract_text() for p in pypdf.PdfReader(out).pages).split("\n"))
    before, rest = text.split(" Ads ", 1)
    section = rest.split(" Comment funnel ", 1)[0]
    at = " ".join(before.split()).find(NOTE)
    return [NOTE] * (at >= 0), [NOTE] * (" ".join(section.split()).count(NOTE))


@pytest.mark.parametrize("insights", ["some", "all", "none"])
@pytest.mark.parametrize("fmt", FORMATS)
def test_each_report_format_says_it_in_its_ads_section_too(runner, tmp_path, fmt, insights):
    """Said below the key figures alone: a reader of the Ads section, whose unpulled ads show
    no spend and whose cost per contact looks low, was not told why."""
    path = tmp_path / "ads.duckdb"
    build(path, insights)
    out = tmp_path / f"report.{fmt}"
    args = ["report", "--db", str(path), "--from", str(DAY), "--to", str(DAY), "--out", str(out)]
    result = runner.invoke(cli, args)
    assert result.exit_code == 0, result.output
    kpis, ads = _said(out, fmt)
    expected = [NOTE] if insights == "some" else []
    assert kpis == expected
    assert ads == expected
    if fmt == "html":
        # The Ads section's notes: no empty paragraph where nothing applies.
        parsed = _Notes()
        parsed.feed(out.read_text(encoding="utf-8"))
        assert all(n.strip() for n in parsed.notes.get("ads", []))
