"""Dashboard access control on the real server in headless Chromium: nothing shown before the
password, and a deep link opened before it opens its page after."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect, sync_playwright

from dashboard import queries
from dashboard.filters import Filters
from ingest.access import PASSWORD_ENV
from tests.dashboard.access_setup import PASSWORD
from tests.dashboard.test_browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    RENDER_MS,
    kpi,
    run_dashboard,
)


@pytest.fixture(scope="module")
def gated_server(demo_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`refscope dashboard` on a free 127.0.0.1 port with a password set; always stopped."""
    root = tmp_path_factory.mktemp("gated")
    env = {PASSWORD_ENV: PASSWORD, "HOME": str(root)}
    with run_dashboard(demo_db, root / "dashboard.log", env, cwd=root) as srv:
        yield srv.url
        assert PASSWORD not in srv.log.read_text(errors="replace")


@pytest.fixture
def browser_page() -> Iterator[Page]:
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            p = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
            p.set_default_timeout(RENDER_MS)
            yield p
        finally:
            browser.close()


def settled(page: Page) -> str:
    """The page once its script run has ended: no running indicator and no stale element left
    over from the previous run (a rerun shows them faded until it finishes)."""
    expect(page.locator('[data-testid="stStatusWidget"]')).to_have_count(0, timeout=RENDER_MS)
    expect(page.locator('[data-stale="true"]')).to_have_count(0, timeout=RENDER_MS)
    return page.locator("body").inner_text()


def assert_page_shows_no_data(page: Page) -> None:
    text = settled(page)
    assert "New contacts" not in text
    assert not re.search(r"\d", text), text  # no KPI, date or count of any kind
    for testid in ("stMetric", "stDataFrame", "stSidebarNav", "stSelectbox", "stException"):
        assert page.locator(f'[data-testid="{testid}"]').count() == 0, testid
    assert page.locator(".js-plotly-plot").count() == 0


needs_chromium = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is missing")


@pytest.mark.browser
@needs_chromium
def test_real_server_shows_nothing_before_login_and_the_kpis_after(browser_page, gated_server, con):
    page = browser_page
    page.goto(gated_server)
    password = page.get_by_label("Password", exact=True)
    expect(password).to_be_visible()
    assert_page_shows_no_data(page)

    password.fill("wrong")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text("Wrong password.")).to_be_visible()
    assert_page_shows_no_data(page)

    password.fill(PASSWORD)
    password.press("Enter")
    (last,) = con.execute("SELECT CAST(max(ts) AS DATE) FROM events").fetchone()
    kpis = queries.kpis(con, Filters(last - dt.timedelta(days=27), last))
    expect(kpi(page, "New contacts")).to_have_text(f"{int(kpis['new_contacts'].iloc[0]):,}")
    expect(page.locator(".js-plotly-plot")).to_have_count(2)
    assert PASSWORD not in page.content()

    assert "from=" in page.url
    page.locator('[data-testid="stSidebar"]').get_by_role("button", name="Log out").click()
    expect(password).to_be_visible()
    assert_page_shows_no_data(page)
    expect(page).to_have_url(f"{gated_server}/")  # the filters (data's date range) are gone


@pytest.mark.browser
@needs_chromium
def test_a_deep_link_opened_before_login_opens_its_page_after(browser_page, gated_server):
    page = browser_page
    page.goto(f"{gated_server}/contacts?range=Last+7+days")
    password = page.get_by_label("Password", exact=True)
    expect(password).to_be_visible()
    assert_page_shows_no_data(page)
    password.fill(PASSWORD)
    password.press("Enter")
    expect(page.locator("h1").filter(has_text="Contacts")).to_be_visible()
    expect(page.locator('[data-testid="stDataFrame"]').first).to_be_visible()
    assert "/contacts?" in page.url and "range=Last" in page.url
