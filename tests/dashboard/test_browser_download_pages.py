"""A table download in a real browser names the chosen pages as the sidebar does: by name, with
the id beside it, where `refscope pages set` named the page."""

from __future__ import annotations

import io
import shutil
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from playwright.sync_api import Browser, Page

from ingest.demo_catalog import ACME, NORTHWIND
from tests.dashboard import test_browser as tb
from tests.dashboard.screen import _name_acme

pytestmark = tb.pytestmark
browser = tb.browser


@pytest.fixture(scope="module")
def server(demo_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tb.Server]:
    """The demo with its first page named Acme Bakery, the other unnamed."""
    root = tmp_path_factory.mktemp("named-pages")
    shutil.copy(demo_db, root / "refscope.duckdb")
    _name_acme(root / "refscope.duckdb")
    with tb.run_dashboard(root / "refscope.duckdb", root / "dashboard.log") as srv:
        yield srv


@pytest.fixture
def page(browser: Browser, server: tb.Server, request: pytest.FixtureRequest) -> Iterator[Page]:
    yield from tb.open_page(browser, server, request)


def _download(page: Page, label: str) -> bytes:
    with page.expect_download() as download:
        page.get_by_role("button", name=label).first.click()
    return Path(download.value.path()).read_bytes()


def test_a_download_names_the_chosen_pages_by_name_and_id(page: Page, server: tb.Server) -> None:
    """The sidebar showed "Acme Bakery"; the file's filters said its id alone."""
    page.goto(f"{server.url}/links?page={ACME}&page={NORTHWIND}")
    tb.finished(page, "Links & QR codes", '[data-testid="stDataFrame"]', 1)
    named = f"Acme Bakery ({ACME}), {NORTHWIND}"
    first = _download(page, "Download CSV").decode("utf-8-sig").split("\r\n", 1)[0]
    assert first.startswith("# refscope refs, ") and f", pages: {named}, channels: all" in first
    book = openpyxl.load_workbook(io.BytesIO(_download(page, "Download XLSX")))
    assert dict(book["filters"].iter_rows(min_row=2, values_only=True))["pages"] == named
