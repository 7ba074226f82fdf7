"""A link to a page of the dashboard (a bookmark, one a teammate sent) opened on a database
without contacts yet: the page says what to run next, as Overview does. Streamlit's "Page not
found" dialog covered it, and the URL fell back to Overview."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from playwright.sync_api import Browser, Page, expect

from ingest import db
from tests.dashboard.test_access_browser import needs_chromium
from tests.dashboard.test_browser import (  # noqa: F401 (browser is a fixture)
    PAGES,
    Server,
    browser,
    open_page,
    run_dashboard,
)

pytestmark = [pytest.mark.browser, needs_chromium]
DATA_PAGES = [(title, path) for title, path, *_ in PAGES[1:] if path != "create_links"]


@pytest.fixture(scope="module")
def empty_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("no-contacts")
    path = root / "refscope.duckdb"
    db.connect(path).close()  # the schema, no contact: an ingest not run yet
    with run_dashboard(path, root / "dashboard.log") as srv:
        yield srv


@pytest.fixture
def page(
    browser: Browser,  # noqa: F811 (the fixture imported above)
    empty_server: Server,
    request: pytest.FixtureRequest,
) -> Iterator[Page]:
    yield from open_page(browser, empty_server, request)


@pytest.mark.parametrize("title, path", DATA_PAGES, ids=[p for _, p in DATA_PAGES])
def test_a_link_to_a_page_says_what_to_run_next(
    page: Page, empty_server: Server, title: str, path: str
) -> None:
    page.goto(f"{empty_server.url}/{path}")
    expect(page.get_by_text("Ingest some Messenger logs first")).to_be_visible()
    expect(page.locator('[data-testid="stStatusWidget"]')).to_have_count(0)
    page.wait_for_timeout(500)  # the dialog comes with the end of the run
    assert page.get_by_text("Page not found").count() == 0
    assert page.url.split("?")[0].endswith(f"/{path}")
    # The sidebar offers what works without contacts, as on Overview.
    nav = page.locator('[data-testid="stSidebarNav"]')
    expect(nav.get_by_role("link")).to_have_text(["Overview", "Create links"])


def test_an_empty_duckdb_file_is_a_database_without_data_yet(
    browser: Browser,  # noqa: F811 (the fixture imported above)
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    """A DuckDB file no command wrote to (`duckdb.connect(path).close()`), which `ingest` makes
    a refscope database: the dashboard said it was "not a refscope database (no ingest_runs
    table)" on every page. It says what it says of a new database, and Create links registers
    a link in it (making it a refscope database, as `links create` does)."""
    path = tmp_path / "refscope.duckdb"
    duckdb.connect(str(path)).close()
    before = path.read_bytes()
    with run_dashboard(path, tmp_path / "dashboard.log") as server:
        for page in open_page(browser, server, request):
            page.goto(server.url)
            expect(page.get_by_text("Ingest some Messenger logs first")).to_be_visible()
            expect(page.locator('[data-testid="stStatusWidget"]')).to_have_count(0)
            assert page.get_by_text("not a refscope database").count() == 0
            assert path.read_bytes() == before  # only read
            page.goto(f"{server.url}/create_links")
            expect(page.get_by_text("No links registered yet.")).to_be_visible()
            for label, value in (("Page username or id", "acmebakery"), ("Campaign", "Fair"),
                                 ("Placement", "Stall")):  # fmt: skip
                page.get_by_label(label, exact=True).fill(value)
                page.get_by_label(label, exact=True).press("Tab")
            code = page.locator('[data-testid="stCode"]').filter(has_text="?ref=fair-stall-")
            expect(code).to_be_visible()
            page.get_by_role("button", name="Register", exact=True).click()
            expect(page.get_by_text("Registered fair-stall-")).to_be_visible()
            assert page.locator('[data-testid="stException"]').count() == 0
    with duckdb.connect(str(path), read_only=True) as con:
        assert con.execute("SELECT page, campaign FROM tracked_links").fetchall() == [
            ("acmebakery", "Fair")
        ]
