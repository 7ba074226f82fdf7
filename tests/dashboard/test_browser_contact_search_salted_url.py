"""A Contacts search that finds no one, in a salted database, in a real browser: it is kept for
the session (the search box holds it, also after a visit to another page) but not written into
the URL, whatever the dashboard's salt. Written, it was the hash of what was typed (a search
box of 64 hex digits when the link was opened, no word anyone typed) with the database's salt,
and without it the text as typed: a PSID, as Meta gives it, in the URL of a database that keeps
none. A search that finds its contact is in the URL as the id is stored, as before."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from dashboard.contact_widgets import SEARCH
from ingest.privacy import SALT_ENV
from tests.dashboard import test_browser as tb
from tests.dashboard.test_contact_search_salted import PSID, SALT, build, stored

pytestmark = tb.pytestmark
browser = tb.browser

NOBODY = "7100000000000099"  # a PSID as Meta gives it, of no contact in the database
NO_SEARCH = re.compile(r"^(?!.*[?&]search=)")  # a URL without a search


def _search(page: Page, text: str) -> None:
    box = page.get_by_label(SEARCH, exact=True)
    box.fill(text)
    box.press("Enter")


def _no_one_found_is_not_in_the_url(page: Page) -> None:
    _search(page, NOBODY)
    expect(page.get_by_text("No contacts match.", exact=False)).to_be_visible()
    tb.finished(page, "Contacts", '[data-testid="stAlert"]')
    expect(page).to_have_url(NO_SEARCH)
    assert NOBODY not in page.url and stored(NOBODY) not in page.url
    # Kept for the session: the box holds it after a visit to another page.
    nav = page.locator('[data-testid="stSidebarNav"]')
    nav.get_by_role("link", name="Overview", exact=True).click()
    tb.finished(page, "Overview", '[data-testid="stMetricValue"]')
    nav.get_by_role("link", name="Contacts", exact=True).click()
    expect(page.get_by_label(SEARCH, exact=True)).to_have_value(NOBODY)
    expect(page.get_by_text("No contacts match.", exact=False)).to_be_visible()
    expect(page).to_have_url(NO_SEARCH)
    assert NOBODY not in page.url and stored(NOBODY) not in page.url


@pytest.mark.parametrize("salt", [SALT, None], ids=["the salt", "no salt"])
def test_a_search_that_finds_no_one_is_kept_out_of_the_url(browser, tmp_path, request, salt):
    salted_db = build(tmp_path, SALT)
    env = {SALT_ENV: salt} if salt else {}
    with tb.run_dashboard(salted_db, tmp_path / "dashboard.log", extra_env=env) as server:
        for page in tb.open_page(browser, server, request):
            page.goto(f"{server.url}/contacts")
            tb.finished(page, "Contacts", '[data-testid="stDataFrame"]')
            found = PSID if salt else stored(PSID)  # without the salt, found as stored
            _search(page, found)
            expect(page.get_by_text("1 contact acquired")).to_be_visible()
            page.wait_for_url(re.compile(rf"[?&]search={stored(PSID)}(&|$)"))
            _no_one_found_is_not_in_the_url(page)


@pytest.mark.parametrize("salt", [SALT, None], ids=["the salt", "no salt"])
def test_a_stored_id_that_finds_no_one_stays_in_the_url(browser, tmp_path, request, salt):
    """A link holding the search as a found contact's URL holds it (the id as stored, 64 hex
    digits: no PSID as Meta gives it), opened with a channel by which that contact did not
    come: it found no one, and the search went from the URL, so a copy of it lost the search."""
    salted_db = build(tmp_path, SALT)
    env = {SALT_ENV: salt} if salt else {}
    with_search = re.compile(rf"[?&]search={stored(PSID)}(&|$)")
    with tb.run_dashboard(salted_db, tmp_path / "dashboard.log", extra_env=env) as server:
        for page in tb.open_page(browser, server, request):
            url = f"{server.url}/contacts?channel=ctm_ad&search={stored(PSID)}"
            for _ in range(2):  # the link, then the URL it left (copied again), opened anew
                page.goto(url)
                expect(page.get_by_text("No contacts match.", exact=False)).to_be_visible()
                tb.finished(page, "Contacts", '[data-testid="stAlert"]')
                expect(page.get_by_label(SEARCH, exact=True)).to_have_value(stored(PSID))
                expect(page).to_have_url(with_search)
                assert PSID not in page.url.replace(stored(PSID), "")
                url = page.url


@pytest.mark.parametrize("salt", [SALT, None], ids=["the salt", "no salt"])
def test_an_upper_case_stored_id_is_in_the_url_as_stored(browser, tmp_path, request, salt):
    """A stored id in upper case (copied from a spreadsheet that upper-cased it) finds its
    contact, as the search finds any text in any case: it is the stored form too, no PSID as
    Meta gives it (digits alone). Its URL holds it as stored, in lower case, and it stays there
    when it finds no one; it went from the URL under filters that found no one, as a PSID."""
    salted_db = build(tmp_path, SALT)
    env = {SALT_ENV: salt} if salt else {}
    upper = stored(PSID).upper()
    with_search = re.compile(rf"[?&]search={stored(PSID)}(&|$)")
    with tb.run_dashboard(salted_db, tmp_path / "dashboard.log", extra_env=env) as server:
        for page in tb.open_page(browser, server, request):
            page.goto(f"{server.url}/contacts")
            tb.finished(page, "Contacts", '[data-testid="stDataFrame"]')
            _search(page, upper)
            expect(page.get_by_text("1 contact acquired")).to_be_visible()
            expect(page).to_have_url(with_search)
            url = f"{server.url}/contacts?channel=ctm_ad&search={upper}"
            for _ in range(2):  # the link, then the URL it left (copied again), opened anew
                page.goto(url)
                expect(page.get_by_text("No contacts match.", exact=False)).to_be_visible()
                tb.finished(page, "Contacts", '[data-testid="stAlert"]')
                expect(page).to_have_url(with_search)
                assert upper not in page.url and PSID not in page.url.replace(stored(PSID), "")
                url = page.url
