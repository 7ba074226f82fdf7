"""The sidebar's Custom date range in a real browser: the range typed into its date fields
(spin buttons for year, month and day in this Streamlit) reaches the URL and the KPIs once the
picker loses focus, and a reload of that URL shows the same days."""

from __future__ import annotations

import datetime as dt
import re

from playwright.sync_api import Locator, Page, expect

from dashboard.filters import Filters
from tests.dashboard import test_browser as tb

pytestmark = tb.pytestmark

browser, server, page = tb.browser, tb.server, tb.page  # a dashboard on the demo
last_day = tb.last_day
LABEL = "From – to"


def _fields(sidebar: Locator, which: str) -> list[Locator]:
    return [sidebar.get_by_role("spinbutton", name=f"{part}, {LABEL} {which} date", exact=True)
            for part in ("year", "month", "day")]  # fmt: skip


def _type_day(page: Page, sidebar: Locator, which: str, day: dt.date) -> None:
    """day into the start or end date's fields, as a user types it."""
    for field, text in zip(_fields(sidebar, which), (f"{day:%Y}", f"{day:%m}", f"{day:%d}"),
                           strict=True):  # fmt: skip
        field.click()
        page.keyboard.type(text)
        expect(field).to_have_text(text)


def test_a_custom_range_typed_into_the_picker_reaches_the_url_and_the_kpis(
    page, server, con, last_day
):
    page.goto(server.url)
    tb.finished(page, "Overview", tb.PAGES[0][2], 2)
    tb.choose(page, "Date range", "Custom")
    page.wait_for_url(re.compile(r"[?&]range=Custom"))
    tb.finished(page, "Overview", tb.PAGES[0][2], 2)
    # Across a month's end in the demo's last weeks, and not the 28 days shown before.
    picked = Filters(last_day - dt.timedelta(days=25), last_day - dt.timedelta(days=9))
    default = Filters(last_day - dt.timedelta(days=27), last_day)
    assert tb.new_contacts(con, picked) != tb.new_contacts(con, default)
    sidebar = page.locator('[data-testid="stSidebar"]')
    _type_day(page, sidebar, "start", picked.start)
    _type_day(page, sidebar, "end", picked.end)
    page.locator("h1").filter(has_text="Overview").click()  # the picker's value is sent on blur
    page.wait_for_url(re.compile(rf"[?&]from={picked.start}&to={picked.end}(&|$)"))
    assert "range=Custom" in page.url
    expect(tb.kpi(page, "New contacts")).to_have_text(f"{tb.new_contacts(con, picked):,}")
    previous = picked.previous()
    caption = f"{picked.start} – {picked.end}; compared with {previous.start} – {previous.end}"
    expect(page.get_by_text(caption, exact=True)).to_be_visible()
    tb.finished(page, "Overview", tb.PAGES[0][2], 2)

    page.goto(page.url)  # the link, opened anew, shows the range it holds
    tb.finished(page, "Overview", tb.PAGES[0][2], 2)
    for which, day in (("start", picked.start), ("end", picked.end)):
        shown = [f.inner_text() for f in _fields(sidebar, which)]
        assert shown == [f"{day:%Y}", f"{day:%m}", f"{day:%d}"], which
    expect(tb.kpi(page, "New contacts")).to_have_text(f"{tb.new_contacts(con, picked):,}")
