"""A shared link opened on a phone: Streamlit folds the sidebar away on a narrow window, and
what the link held that could not be used was said only there, so the view showed other days
and channels than the link's without a word. It is said above the page now."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.dashboard import test_browser as tb

pytestmark = tb.pytestmark

browser, server, page = tb.browser, tb.server, tb.page  # a dashboard on the demo
SAID = "Part of this link could not be used"


@pytest.fixture
def phone(browser: Browser, server: tb.Server, request: pytest.FixtureRequest) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 390, "height": 844})
    p = context.new_page()
    p.set_default_timeout(tb.RENDER_MS)
    try:
        yield p
    finally:
        context.close()


def test_on_a_narrow_window_a_links_unusable_filters_are_said_where_they_are_seen(phone, server):
    phone.goto(f"{server.url}/?range=Custom&from=2030-01-01&to=2030-02-01&channel=fax")
    tb.finished(phone, "Overview", '[data-testid="stMetricValue"]')
    expect(phone.locator('[data-testid="stSidebar"]')).not_to_be_in_viewport()  # folded away
    said = phone.get_by_text(SAID)
    expect(said).to_be_in_viewport()
    expect(said).to_contain_text("'fax' is not a channel")


DATA_SPAN = "Days and times are UTC."  # the end of "Data from … to …"
MAIN = '[data-testid="stMain"]'


def test_on_a_narrow_window_the_days_the_data_covers_are_said_where_they_are_seen(phone, server):
    phone.goto(f"{server.url}/links")
    tb.finished(phone, "Links & QR codes", '[data-testid="stDataFrame"]')
    expect(phone.locator('[data-testid="stSidebar"]')).not_to_be_in_viewport()  # folded away
    said = phone.locator(MAIN).get_by_text(DATA_SPAN)
    expect(said).to_be_in_viewport()
    expect(said).to_contain_text("Data from ")


def test_on_a_wide_window_the_days_the_data_covers_are_said_once(page, server):
    page.goto(f"{server.url}/links")
    tb.finished(page, "Links & QR codes", '[data-testid="stDataFrame"]')
    expect(page.locator('[data-testid="stSidebar"]').get_by_text(DATA_SPAN)).to_be_visible()
    expect(page.locator(MAIN).get_by_text(DATA_SPAN)).not_to_be_visible()
    expect(page.get_by_text(DATA_SPAN).filter(visible=True)).to_have_count(1)
