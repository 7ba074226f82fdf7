"""The Contacts page's Show, search and picks in the URL, in a real browser: each choice reaches
the query string beside the sidebar's filters, the URL opened anew lists the same rows with the
same choices shown, and a link's values that cannot be used are named, as the sidebar's are.
They lived in the session alone: a copied link opened the contacts acquired, unpicked."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import quote_plus

from playwright.sync_api import Page, expect

from dashboard import queries
from dashboard.filters import REACHABLE, REENTRIES, ContactPick, Filters
from tests.dashboard import test_browser as tb

pytestmark = tb.pytestmark

browser, server, page = tb.browser, tb.server, tb.page  # a dashboard on the demo
last_day = tb.last_day
READY = '[data-testid="stDataFrame"]'


def _n(n: int, one: str, many: str) -> str:
    return f"{n:,} {one if n == 1 else many}"


def _shows(page: Page, label: str, value: str) -> None:
    expect(page.get_by_role("combobox", name=label, exact=True)).to_have_value(value)


def test_show_and_picks_reach_the_url_and_a_reload_lists_the_same(page, server, con, last_day):
    f = Filters(last_day - dt.timedelta(days=27), last_day)
    back = queries.contact_rows(con, f, pick=ContactPick(show=REENTRIES))
    back = back[back["channel"].isin(["m_me_link", "qr_code"]) & back["ref"].notna()]
    one_page = back.groupby("ref")["page_id"].nunique().loc[lambda n: n == 1].index
    counted = {
        (ref, page_id): len(
            queries.contact_rows(
                con, f, pick=ContactPick(ref=ref, ref_page=page_id, engaged=True, show=REENTRIES)
            )
        )  # fmt: skip
        for ref, page_id in back[back["ref"].isin(one_page)][["ref", "page_id"]].values
    }
    (ref, page_id), n = max(counted.items(), key=lambda kv: (kv[1], kv[0]))
    assert 0 < n < len(back)
    span = f"{f.start} – {f.end}"
    said = f"{_n(n, 're-entry', 're-entries')} {span}"

    page.goto(f"{server.url}/contacts")
    tb.finished(page, "Contacts", READY)
    tb.choose(page, "Show", "Re-entries in the range")
    page.wait_for_url(re.compile(r"[?&]show=reentries(&|$)"))
    tb.finished(page, "Contacts", READY)
    tb.choose(page, "Link or QR ref", ref)
    page.wait_for_url(re.compile(rf"[?&]ref={re.escape(quote_plus(ref))}&ref_page={page_id}"))
    tb.finished(page, "Contacts", READY)
    tb.choose(page, "Engaged", "yes")
    page.wait_for_url(re.compile(r"[?&]engaged=yes(&|$)"))
    expect(page.get_by_text(said)).to_be_visible()
    assert "range=Last+28+days" in page.url.replace("%20", "+")  # the sidebar's kept beside

    page.goto(page.url)  # the link, opened anew: the same list, the same choices shown
    tb.finished(page, "Contacts", READY)
    expect(page.get_by_text(said)).to_be_visible()
    _shows(page, "Show", "Re-entries in the range")
    _shows(page, "Link or QR ref", ref)
    _shows(page, "Engaged", "yes")


def test_a_hand_made_link_lists_its_search_and_names_what_it_cannot_use(
    page, server, con, last_day
):
    f = Filters(last_day - dt.timedelta(days=27), last_day)
    reachable = queries.contact_rows(con, f, pick=ContactPick(show=REACHABLE))
    text = "_"  # in the demo's refs, not in a psid: text, not a LIKE pattern
    n = len(queries.contact_rows(con, f, text, ContactPick(show=REACHABLE, engaged=True)))
    assert 0 < n < len(reachable)
    page.goto(f"{server.url}/contacts?show=reachable&engaged=yes&search={text}")
    tb.finished(page, "Contacts", READY)
    said = f"{_n(n, 'contact', 'contacts')} reachable at the end of {f.start} – {f.end}"
    expect(page.get_by_text(said)).to_be_visible()
    expect(page.get_by_role("textbox", name=re.compile("^Search"))).to_have_value(text)

    page.goto(f"{server.url}/contacts?show=everyone&engaged=maybe&ad_id=404")
    tb.finished(page, "Contacts", READY)
    warning = page.locator('[data-testid="stAlert"]').filter(has_text="could not be used")
    expect(warning).to_contain_text("show 'everyone' is not one of acquired, reachable")
    expect(warning).to_contain_text("engaged 'maybe' is not yes or no")
    expect(page.get_by_text("No contact of these filters has ad 404")).to_be_visible()
    acquired = len(queries.contact_rows(con, f))
    expect(page.get_by_text(f"{_n(acquired, 'contact', 'contacts')} acquired")).to_be_visible()
    assert "show=" not in page.url and "engaged=" not in page.url and "ad_id=" not in page.url
