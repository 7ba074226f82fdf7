"""The products contacts came through, in the real dashboard server driven by headless Chromium:
the Overview draws its "New contacts per product" table below the channel mix, and a database
an older refscope wrote (no product_id yet, opened read-only) draws Overview and Contacts
without it and without an error."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from ingest import pipeline
from tests import factories as fx
from tests.dashboard import test_browser as tb
from tests.dashboard.test_browser import Server, finished, run_dashboard
from tests.dashboard.test_products import FROM_TO, PRODUCTS_TITLE, _lines
from tests.ingest.test_product_ids import _as_older_refscope_stored

pytestmark = tb.pytestmark
QUERY = "&".join(f"{k}={v}" for k, v in FROM_TO.items())
browser, page = tb.browser, tb.page  # a fresh page on this module's server


def _database(root: Path, older: bool) -> Path:
    path = root / "refscope.duckdb"
    pipeline.run([str(fx.write_ndjson(root / "logs" / "webhooks.ndjson", _lines()))], path)
    if older:
        _as_older_refscope_stored(path)
    return path


@pytest.fixture(scope="module", params=[False, True], ids=["products", "older"])
def older(request: pytest.FixtureRequest) -> bool:
    """Whether the database is as an older refscope left it, without product_id."""
    return bool(request.param)


@pytest.fixture(scope="module")
def server(older: bool, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("products")
    with run_dashboard(_database(root, older), root / "dashboard.log") as srv:
        yield srv


def test_the_overview_shows_new_contacts_per_product_only_when_it_has_some(
    page: Page, server: Server, older: bool
) -> None:
    page.goto(f"{server.url}/?{QUERY}")
    finished(page, "Overview", '[data-testid="stMetricValue"]', 2)
    heading = page.locator("h3").filter(has_text=PRODUCTS_TITLE)
    tables = page.locator('[data-testid="stDataFrame"]')
    if older:
        expect(tables).to_have_count(1)  # the channels' table alone
        expect(heading).to_have_count(0)
    else:
        expect(heading).to_be_visible()
        expect(tables).to_have_count(2)
        expect(page.get_by_role("button", name="Download XLSX")).to_have_count(2)


def test_the_contacts_page_opens_with_its_product_column(page: Page, server: Server) -> None:
    page.goto(f"{server.url}/contacts?{QUERY}")
    finished(page, "Contacts", '[data-testid="stDataFrame"]', 0)
    expect(page.get_by_text("7 contacts acquired")).to_be_visible()
