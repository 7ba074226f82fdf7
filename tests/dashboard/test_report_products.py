"""The reports' "New contacts per product" (`refscope report`, as PDF, XLSX and HTML): the
Overview's table for the report's range and filters, after Channels, when some contact of the
range came through a Shops product page or an ad's product; no section, sheet or note when none
did, nor from a database an older refscope wrote (no product_id, opened read-only)."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import openpyxl
import pypdf
import pytest

from dashboard.cli import cli
from ingest import pipeline
from tests import factories as fx
from tests.dashboard.conftest import SMALL_RANGE
from tests.dashboard.report_setup import SECTIONS, needs_chromium
from tests.dashboard.screen import show
from tests.dashboard.test_products import AD_PRODUCT, BIG, FROM_TO, PRODUCTS_TITLE, SHOE, _lines
from tests.ingest.test_product_ids import _as_older_refscope_stored

HEAD = ["Product id", "Channel", "New contacts", "Engaged", "Engaged rate"]
OTHER, AD = "Other", "Click-to-Messenger ad"
# As test_products counts them: a product through a Shops page and through an ad is two rows.
SHOWN = [[SHOE, OTHER, "2", "1", "50.0%"], [AD_PRODUCT, AD, "1", "1", "100.0%"],
         [SHOE, AD, "1", "0", "0.0%"], [BIG, OTHER, "1", "0", "0.0%"]]  # fmt: skip
CELLS = [[SHOE, OTHER, 2, 1, 0.5], [AD_PRODUCT, AD, 1, 1, 1.0], [SHOE, AD, 1, 0, 0.0],
         [BIG, OTHER, 1, 0, 0.0]]  # fmt: skip
FORMATS = [pytest.param("pdf", marks=needs_chromium), "xlsx", "html"]


def _database(root: Path, lines: list[fx.Json]) -> Path:
    path = root / "refscope.duckdb"
    pipeline.run([str(fx.write_ndjson(root / "logs" / "webhooks.ndjson", lines))], path)
    return path


def _no_products() -> list[fx.Json]:
    """Contacts of the range through an ad without a product and no referral at all."""
    t = fx.T0
    return [fx.delivery(fx.message("hello", psid="o1", ts=t)),
            fx.delivery(fx.message("hi", psid="a3", ts=t + fx.MINUTE,
                                   referral=fx.ads_referral(ad_id="6000000000002")))]  # fmt: skip


def _report(runner, path: Path, fmt: str, out_dir: Path, *options: str) -> Path:
    out = out_dir / f"report.{fmt}"
    days = ["--from", str(SMALL_RANGE.start), "--to", str(SMALL_RANGE.end)]
    result = runner.invoke(cli, ["report", "--db", str(path), *days, *options, "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


class _Sections(HTMLParser):
    """The HTML report's tables by the id of the <h2> before them, each a list of rows of the
    cells' texts."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.key, self.cell = "", None  # the section read, the text of the cell read
        self.titles: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "h2":
            self.key = dict(attrs).get("id") or ""
            self.titles.append(self.key)
        elif tag == "tr":
            self.tables.setdefault(self.key, []).append([])
        elif tag in ("td", "th"):
            self.cell = ""

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self.cell is not None:
            self.tables[self.key][-1].append(self.cell)
            self.cell = None

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell += data


def _html(out: Path) -> _Sections:
    parsed = _Sections()
    parsed.feed(out.read_text(encoding="utf-8"))
    return parsed


def _pdf_text(out: Path) -> str:
    return "\n".join(p.extract_text() for p in pypdf.PdfReader(out).pages)


def _sheet_rows(out: Path, name: str) -> list[list[object]]:
    return [list(r) for r in openpyxl.load_workbook(out)[name].iter_rows(values_only=True)]


@pytest.mark.parametrize("fmt", FORMATS)
def test_each_report_format_shows_new_contacts_per_product_after_channels(runner, tmp_path, fmt):
    out = _report(runner, _database(tmp_path, _lines()), fmt, tmp_path)
    if fmt == "xlsx":
        book = openpyxl.load_workbook(out)
        assert book.sheetnames == ["Summary", "Charts", *SECTIONS[:2], PRODUCTS_TITLE,
                                   *SECTIONS[2:]]  # fmt: skip
        assert _sheet_rows(out, PRODUCTS_TITLE) == [HEAD, *CELLS]
        big = next(r[0] for r in book[PRODUCTS_TITLE].iter_rows(min_row=2) if r[0].value == BIG)
        assert big.data_type == "s"  # 20 digits kept whole, as text
    elif fmt == "html":
        html = _html(out)
        assert html.titles[:4] == ["kpis", "daily", "channels", "products"]
        assert html.tables["products"] == [HEAD, *SHOWN]
    else:
        text = _pdf_text(out)
        section = text.split(f"\n{PRODUCTS_TITLE}\n", 1)[1].split("\nTop refs\n", 1)[0]
        assert "\nChannels\n" in text.split(f"\n{PRODUCTS_TITLE}\n", 1)[0]
        lines = section.splitlines()
        table = lines[lines.index(" ".join(HEAD)) :]
        assert table == [" ".join(HEAD), *(" ".join(row) for row in SHOWN)]


def test_the_reports_products_follow_its_filters(runner, tmp_path):
    path = _database(tmp_path, _lines())
    ads = _report(runner, path, "xlsx", tmp_path, "--channel", "ctm_ad")
    assert _sheet_rows(ads, PRODUCTS_TITLE) == [HEAD, CELLS[1], CELLS[2]]
    organic = _report(runner, path, "xlsx", tmp_path, "--channel", "organic")
    assert openpyxl.load_workbook(organic).sheetnames == ["Summary", "Charts", *SECTIONS]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("database", ["no products", "older refscope"])
def test_a_report_without_products_has_no_products_section(runner, tmp_path, fmt, database):
    if database == "older refscope":
        path = _database(tmp_path, _lines())
        _as_older_refscope_stored(path)  # no product_id in events, touches or contacts
    else:
        path = _database(tmp_path, _no_products())
    before = path.read_bytes()
    out = _report(runner, path, fmt, tmp_path)
    if fmt == "xlsx":
        assert openpyxl.load_workbook(out).sheetnames == ["Summary", "Charts", *SECTIONS]
        text = "\n".join(str(c) for ws in openpyxl.load_workbook(out) for r in ws.values
                         for c in r)  # fmt: skip
    elif fmt == "html":
        html = _html(out)
        assert html.titles == ["kpis", "daily", "channels", "refs", "placements", "ads",
                               "funnel", "retention"]  # fmt: skip
        text = out.read_text(encoding="utf-8")
    else:
        text = _pdf_text(out)
    assert "No data for" not in text and "Click-to-Messenger ad" in text  # a report of contacts
    assert "per product" not in text and "Product id" not in text
    assert path.read_bytes() == before  # the report wrote nothing to the database


@pytest.mark.parametrize("older", [False, True], ids=["products", "older refscope"])
def test_the_reports_page_gathers_its_report_with_or_without_product_ids(open_app, tmp_path, older):
    path = _database(tmp_path, _lines())
    if older:
        _as_older_refscope_stored(path)
    at = show(open_app(path, **FROM_TO), "reports")
    assert any("per product (when some came through one)" in c.value for c in at.caption)
    kpis = at.dataframe[0].value.set_index("Metric")  # gathered, the older database's too
    assert kpis.loc["New contacts", "This period"] == "7"
