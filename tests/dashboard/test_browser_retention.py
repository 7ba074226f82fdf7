"""The Retention page's channel picker in a real browser: the heatmap shows the channel the
picker shows, also after a filter that left no contact to show."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pandas as pd
from playwright.sync_api import Page, expect

from dashboard import queries
from dashboard.filters import Filters
from tests.dashboard import test_browser as tb

pytestmark = tb.pytestmark

browser, server, page = tb.browser, tb.server, tb.page  # a dashboard on the demo
last_day = tb.last_day


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


def _cohorts_csv(page: Page) -> tuple[str, pd.DataFrame]:
    """The first line and the rows of the cohorts CSV the page downloads."""
    tb.finished(page, "Retention", '[data-testid="stDataFrame"]', 2)
    with page.expect_download() as download:
        page.get_by_role("button", name="Download CSV").first.click()
    data = Path(download.value.path()).read_bytes().decode("utf-8-sig")
    header, _, body = data.partition("\r\n")
    return header, pd.read_csv(io.StringIO(body), parse_dates=["cohort_week"])


def test_the_cohorts_download_holds_the_channel_the_heatmap_shows(page, server, con, last_day):
    """With one channel picked, the heatmap shows that channel's cohorts: its CSV held every
    channel's rows (and said nothing of the pick), so the file disagreed with the page. It holds
    the picked channel's rows, as the query gives them, and names the pick; back on "All
    channels", every channel's rows again, with no pick named."""
    f = Filters(last_day - dt.timedelta(days=27), last_day)
    line = f"# refscope cohorts, {f.start} – {f.end}, pages: all, channels: all"
    every = queries.cohorts(con, f)
    page.goto(f"{server.url}/retention")
    tb.finished(page, "Retention", '[data-testid="stDataFrame"]', 2)
    tb.choose(page, "Channel", "Click-to-Messenger ad")
    expect(page.locator(".js-plotly-plot").first).to_contain_text(
        "Retention by acquisition week — Click-to-Messenger ad"
    )
    header, got = _cohorts_csv(page)
    assert header == f"{line}, channel: ctm_ad, UTC"
    want = every[every["channel"] == "ctm_ad"].reset_index(drop=True)
    assert len(want) and len(want) < len(every)  # other channels were there
    assert set(got["channel"]) == {"ctm_ad"}
    pd.testing.assert_frame_equal(got, want, check_dtype=False)
    tb.choose(page, "Channel", "All channels")
    # The heatmap of every channel: its title names none.
    expect(page.locator(".js-plotly-plot").first).not_to_contain_text(
        "Retention by acquisition week — "
    )
    header, got = _cohorts_csv(page)
    assert header == f"{line}, UTC"
    pd.testing.assert_frame_equal(got, every, check_dtype=False)
