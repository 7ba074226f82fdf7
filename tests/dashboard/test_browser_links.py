"""The Create links flow in a real browser: fill the form, see the code, register it."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from dashboard import link_maker
from ingest.demo_catalog import ACME, PAGE_IDS
from ingest.link_rules import USERNAME_RULE
from tests.dashboard import test_browser as tb

pytestmark = tb.pytestmark


@pytest.fixture(scope="module")
def writable_db(demo_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("links-db") / "refscope.duckdb"
    shutil.copy(demo_db, path)
    return path


@pytest.fixture(scope="module")
def server(writable_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tb.Server]:
    log = tmp_path_factory.mktemp("links-server") / "dashboard.log"
    with tb.run_dashboard(writable_db, log) as srv:
        yield srv


@pytest.fixture
def page(browser: Browser, server: tb.Server, request: pytest.FixtureRequest) -> Iterator[Page]:
    yield from tb.open_page(browser, server, request)


browser = tb.browser


def _form_of(page: Page, page_id: str, label: str) -> Locator:
    """The page form's field (label: "Username" or "Display name") of page_id, once the rerun
    that picking page_id started has drawn it. Its key names the page (a field of its own per
    page): text filled into the field of the page picked before, while that rerun was on its
    way, was dropped with it, and Save then saw an empty field."""
    key = "pages_username" if label == "Username" else "pages_name"
    field = page.locator(f".st-key-{key}_{page_id} input")
    expect(field).to_be_visible()
    return field


def _save_in_form(page: Page, page_id: str, label: str, value: str) -> None:
    """Pick page_id in the page form, fill its field of label with value and save."""
    tb.choose(page, "Page id", page_id)
    tb.finished(page, "Create links", 'h3:has-text("Page usernames and names")')
    field = _form_of(page, page_id, label)
    field.fill(value)
    field.press("Tab")
    expect(field).to_have_value(value)
    page.get_by_role("button", name="Save page").click()


def test_create_a_qr_code_and_register_it(page: Page, server: tb.Server, writable_db: Path) -> Any:
    page.goto(f"{server.url}/create_links")
    tb.finished(page, "Create links", 'h3:has-text("Registered links")')
    page.get_by_text("QR code", exact=True).click()
    page.get_by_label("Campaign", exact=True).fill("Winter Market")
    page.get_by_label("Campaign", exact=True).press("Tab")
    page.get_by_label("Placement", exact=True).fill("Stall 4")
    page.get_by_label("Placement", exact=True).press("Tab")
    code = page.locator('[data-testid="stCode"]').filter(has_text="winter_market-stall_4-")
    expect(code).to_be_visible()
    url = code.inner_text().strip()
    assert url.startswith("https://m.me/") and "?ref=winter_market-stall_4-" in url
    expect(page.locator('[data-testid="stImage"] img').first).to_be_visible()
    expect(page.get_by_role("button", name="Print sheet")).to_be_visible()
    page.get_by_role("button", name="Register", exact=True).click()
    expect(page.get_by_text("Registered winter_market-stall_4-")).to_be_visible()
    ref = url.split("ref=", 1)[1]
    table = page.locator('[data-testid="stDataFrame"]').first
    expect(table).to_be_visible()
    con = duckdb.connect(str(writable_db), read_only=True)
    try:
        rows = con.execute(
            "SELECT channel, campaign, placement FROM tracked_links WHERE ref = ?", [ref]
        ).fetchall()
    finally:
        con.close()
    assert rows == [("qr_code", "Winter Market", "Stall 4")]


def test_a_bad_ref_shows_the_rule(page: Page, server: tb.Server) -> None:
    page.goto(f"{server.url}/create_links")
    tb.finished(page, "Create links", 'h3:has-text("Registered links")')
    page.get_by_label("Ref (empty: campaign-placement-month)").fill("no spaces please")
    page.get_by_label("Ref (empty: campaign-placement-month)").press("Tab")
    expect(page.get_by_text("A-Z a-z 0-9 _ - =")).to_be_visible()
    expect(page.get_by_role("button", name="Register", exact=True)).to_have_count(0)


def test_name_a_page_in_the_form_and_see_the_views_take_it(
    page: Page, server: tb.Server, writable_db: Path
) -> None:
    """A bad username is refused with its rule and nothing is stored; a good one is saved as
    `refscope pages set` saves it, and the pickers name the page by it at once."""
    page.goto(f"{server.url}/create_links")
    tb.finished(page, "Create links", 'h3:has-text("Page usernames and names")')
    tb.choose(page, "Page id", ACME)
    username, name = _form_of(page, ACME, "Username"), _form_of(page, ACME, "Display name")
    username.fill("acme")
    username.press("Tab")
    page.get_by_role("button", name="Save page").click()
    expect(page.get_by_text(f"(4 characters): {USERNAME_RULE}")).to_be_visible()
    assert _pages(writable_db) == []
    expect(page.get_by_text("Nothing stored for this page yet.")).to_be_visible()
    username.fill("Acme.Bakery")
    username.press("Tab")
    name.fill("Acme Bakery")
    name.press("Tab")
    page.get_by_role("button", name="Save page").click()
    expect(
        page.get_by_text(f"Saved page {ACME}: username Acme.Bakery, name Acme Bakery.")
    ).to_be_visible()
    assert _pages(writable_db) == [(ACME, "Acme.Bakery", "Acme Bakery")]
    expect(page.get_by_text("Stored: username Acme.Bakery, name Acme Bakery.")).to_be_visible()
    tb.choose(page, "Page", "Acme Bakery (Acme.Bakery)")  # the link form's picker, by its name


def _pages(path: Path) -> list[tuple[str, str | None, str | None]]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return [tuple(r) for r in con.execute("SELECT * FROM pages ORDER BY page_id").fetchall()]
    finally:
        con.close()


def test_a_page_named_while_picked_in_the_sidebar_is_shown_by_its_new_name(
    page: Page, server: tb.Server
) -> None:
    """The sidebar kept showing a picked page by its id once the form had named it, a label its
    list no longer held."""
    other = next(p for p in PAGE_IDS if p != ACME)  # the naming test above names ACME
    page.goto(f"{server.url}/create_links?page={other}")
    tb.finished(page, "Create links", 'h3:has-text("Page usernames and names")')
    sidebar = page.locator('[data-testid="stSidebar"]')
    picked = sidebar.locator('[data-testid="stMultiSelect"]').filter(has_text="Pages")
    expect(picked).to_contain_text(other)
    _save_in_form(page, other, "Display name", "Corner Cafe")
    expect(page.get_by_text(f"Saved page {other}")).to_be_visible()
    expect(picked).to_contain_text("Corner Cafe")
    expect(picked).not_to_contain_text(other)
    page.get_by_role("link", name="Overview", exact=True).click()
    tb.finished(page, "Overview", '[data-testid="stMetricValue"]')
    assert f"page={other}" in page.url  # still the page's figures
    expect(picked).to_contain_text("Corner Cafe")


def test_a_page_name_with_markdown_marks_is_shown_as_given(page: Page, server: tb.Server) -> None:
    """A display name "Joe's *Pizza* :fire:" was shown in italics with an emoji (Streamlit's
    markdown) in the form's "Stored" line."""
    other = next(p for p in PAGE_IDS if p != ACME)
    given = "Joe's *Pizza* :fire: [menu](https://x.example)"
    page.goto(f"{server.url}/create_links")
    tb.finished(page, "Create links", 'h3:has-text("Page usernames and names")')
    _save_in_form(page, other, "Display name", given)
    expect(page.get_by_text(f"Saved page {other}: name {given}.", exact=True)).to_be_visible()
    expect(page.get_by_text(f"Stored: username -, name {given}.", exact=True)).to_be_visible()


def test_the_link_forms_page_stays_picked_when_it_is_named(
    page: Page, server: tb.Server, writable_db: Path
) -> None:
    """The link form's Page picker went back to the first page when the page picked was given
    a username below (its options changed from the id to the username): the code then shown
    was another page's. It stays on the page, by its new name, and the code follows it."""
    other = next(p for p in PAGE_IDS if p != ACME)
    stored = {p: (u, n) for p, u, n in _pages(writable_db)}.get(other, (None, None))
    label = link_maker.page_option(stored[1] or stored[0] or other, stored[0] or other)
    page.goto(f"{server.url}/create_links")
    tb.finished(page, "Create links", 'h3:has-text("Page usernames and names")')
    tb.choose(page, "Page", label)
    ref = page.get_by_label("Ref (empty: campaign-placement-month)")
    ref.fill("stays_picked")
    ref.press("Tab")
    expect(page.get_by_text(f"https://m.me/{stored[0] or other}?ref=stays_picked")).to_be_visible()
    _save_in_form(page, other, "Username", "cornercafe")
    expect(page.get_by_text(f"Saved page {other}")).to_be_visible()
    expect(page.get_by_text("https://m.me/cornercafe?ref=stays_picked")).to_be_visible()
    picker = page.get_by_role("combobox", name="Page", exact=True)
    expect(picker).to_have_value(link_maker.page_option(stored[1] or "cornercafe", "cornercafe"))
