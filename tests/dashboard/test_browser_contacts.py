"""The Contacts page's search and picks in a real browser: what a picker shows is what narrows
the table, also after a search or range that matched no contact."""

from __future__ import annotations

import datetime as dt
import re

from playwright.sync_api import Page, expect

from dashboard import queries
from dashboard.filters import Filters
from tests.dashboard import test_browser as tb

pytestmark = tb.pytestmark

browser, server, page = tb.browser, tb.server, tb.page  # a dashboard on the demo
last_day = tb.last_day
SEARCH = "Search psid, ref, ad title, product id or website page"
READY = '[data-testid="stDataFrame"]'


def _search(page: Page, text: str) -> None:
    box = page.get_by_label(SEARCH, exact=True)
    box.fill(text)
    box.press("Enter")


def test_a_pick_stays_shown_after_a_search_that_matched_no_contact(page, server, con, last_day):
    """A search matching no contact hides the picks ("No contacts match"); cleared, the table
    was still narrowed to the picked ref while its picker showed "any", and after a second such
    search the pick was gone: the browser's "any" had replaced it."""
    f = Filters(last_day - dt.timedelta(days=27), last_day)
    refs = queries.refs(con, f)
    r = next(refs[refs["new_contacts"] > 0].itertuples())
    shared = (refs.loc[refs["new_contacts"] > 0, "ref"] == r.ref).sum() > 1
    option = f"{r.ref} · {r.page_id}" if shared else r.ref  # the demo's pages have no names
    caption = f"{r.new_contacts:,} contact{'s' * (r.new_contacts != 1)} acquired"
    picker = page.get_by_role("combobox", name="Link or QR ref", exact=True)
    page.goto(f"{server.url}/contacts")
    tb.finished(page, "Contacts", READY)
    tb.choose(page, "Link or QR ref", option)
    expect(page.get_by_text(f"{caption} {f.start} – {f.end}")).to_be_visible()
    for _ in range(2):
        _search(page, "no-such-contact-anywhere")
        expect(page.get_by_text("No contacts match.")).to_be_visible()
        _search(page, "")
        expect(page.get_by_text(f"{caption} {f.start} – {f.end}")).to_be_visible()
        tb.finished(page, "Contacts", READY)
        expect(picker).to_have_value(option)


def test_a_picker_left_on_any_says_any_after_a_visit_to_another_page(page, server) -> None:
    """Back on Contacts from another page, the pickers read "Choose an option": the kept "any"
    is None, which Streamlit draws as no choice."""
    page.goto(f"{server.url}/contacts")
    tb.finished(page, "Contacts", READY)
    nav = page.locator('[data-testid="stSidebarNav"]')
    nav.get_by_role("link", name="Overview", exact=True).click()
    tb.finished(page, "Overview", tb.PAGES[0][2])
    nav.get_by_role("link", name="Contacts", exact=True).click()
    tb.finished(page, "Contacts", READY)
    for label in ("Link or QR ref", "Ad", "Engaged"):
        box = page.get_by_role("combobox", name=label, exact=True)
        # The option "any", or no choice drawn as its placeholder.
        assert box.evaluate("e => e.value || e.placeholder") == "any", label


def test_a_pick_whose_picker_the_filters_leave_out_is_cleared_and_said(page, server, con, last_day):
    """An ad picked, then the channel filter set to Organic: no contact left has an ad, so the Ad
    picker is not drawn. The table listed the organic contacts with no word of the pick, and
    with Click-to-Messenger ad chosen too it was narrowed to that ad again, hidden picks
    overruling the filters. The pick goes back to "any" and the page says so, as it does when
    the picker stays."""
    f = Filters(last_day - dt.timedelta(days=27), last_day)
    ads = queries.ads(con, f)
    ad = ads[(ads["new_contacts"] > 0) & ads["ad_title"].notna()].iloc[0]
    option = f"{ad['ad_title']} ({ad['ad_id']})"
    page.goto(f"{server.url}/contacts")
    tb.finished(page, "Contacts", READY)
    tb.choose(page, "Ad", option)
    expect(
        page.get_by_text(f"{_acquired(int(ad['new_contacts']))} {f.start} – {f.end}")
    ).to_be_visible()
    channels = page.locator('[data-testid="stSidebar"] [data-testid="stMultiSelect"]')
    chosen: tuple[str, ...] = ()
    for channel, label in (("organic", "Organic"), ("ctm_ad", "Click-to-Messenger ad")):
        channels.filter(has_text="Channels").locator("input").click()
        page.get_by_role("option", name=label, exact=True).click()
        page.wait_for_url(re.compile(rf"[?&]channel={channel}"))
        chosen += (channel,)
        n = len(queries.contact_rows(con, Filters(f.start, f.end, channels=chosen)))
        expect(page.get_by_text(f"{_acquired(n)} {f.start} – {f.end}")).to_be_visible()
        tb.finished(page, "Contacts", READY)
        if channel == "organic":
            said = f"No contact of these filters has ad {option}: that pick is cleared."
            expect(page.get_by_text(said, exact=True)).to_be_visible()
    page.keyboard.press("Escape")  # the open Channels list hides the page from the roles
    box = page.get_by_role("combobox", name="Ad", exact=True)
    assert box.evaluate("e => e.value || e.placeholder") == "any"


def _acquired(n: int) -> str:
    return f"{n:,} contact{'s' * (n != 1)} acquired"
