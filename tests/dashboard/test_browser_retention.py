"""The Retention page's channel picker in a real browser: the heatmap shows the channel the
picker shows, also after a filter that left no contact to show."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.dashboard import test_browser as tb

pytestmark = tb.pytestmark

browser, server, page = tb.browser, tb.server, tb.page  # a dashboard on the demo


def test_a_channel_pick_stays_shown_after_a_filter_that_left_no_contact(page, server):
    """With a channel picked, a channel filter the range has no contact of ("No contacts
    acquired"), then cleared: the heatmap still showed the picked channel while the picker read
    "All channels", and after a second such filter the pick was gone."""
    page.goto(f"{server.url}/retention")
    tb.finished(page, "Retention", '[data-testid="stDataFrame"]', 2)
    heatmap = page.locator(".js-plotly-plot").first
    ads_only = "Retention by acquisition week — Click-to-Messenger ad"  # the heatmap's title
    tb.choose(page, "Channel", "Click-to-Messenger ad")
    expect(heatmap).to_contain_text(ads_only)
    channels = page.locator('[data-testid="stSidebar"] [data-testid="stMultiSelect"]').filter(
        has_text="Channels"
    )
    for _ in range(2):
        channels.locator("input").click()
        page.get_by_role("option", name="Website chat", exact=True).click()
        page.keyboard.press("Escape")
        expect(page.get_by_text("No contacts acquired in this range.")).to_be_visible()
        channels.get_by_role("button", name="Clear all").click()
        tb.finished(page, "Retention", '[data-testid="stDataFrame"]', 2)
        picker = page.get_by_role("combobox", name="Channel", exact=True)
        expect(picker).to_have_value("Click-to-Messenger ad")
        expect(heatmap).to_contain_text(ads_only)
