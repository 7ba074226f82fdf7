"""The real dashboard server (`refscope dashboard`) driven by headless Chromium.

Every page through the sidebar navigation, then the flows a user clicks: change the date
preset and a channel, and see the URL and the KPIs follow. A failing test leaves a screenshot
in tests/dashboard/screenshots/ and prints the server's log.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from dashboard import queries
from dashboard.chromium import HEADLESS_ARGS, INSTALL_HINT, chromium_path
from dashboard.filters import Filters
from tests.dashboard.conftest import SCREENSHOTS
from tests.dashboard.screen import APP

CHROMIUM = chromium_path() or "/usr/bin/chromium"
CHROMIUM_ARGS = HEADLESS_ARGS
READY_SECONDS = 60  # the server answers /_stcore/health about 0.5 s after start; leave slack
RENDER_MS = 30_000  # a page with a chart renders in 3-4 s here
# expect() waits 5 s by default, not the page's default timeout: a first render on a busy
# machine took longer (Overview's metrics not yet drawn), so expectations wait as actions do.
expect.set_options(timeout=RENDER_MS)
PAGES = [  # (sidebar title, URL path, an element the finished page shows, Plotly charts)
    ("Overview", "", '[data-testid="stMetricValue"]', 2),
    ("Links & QR codes", "links", '[data-testid="stDataFrame"]', 1),
    ("Ads", "ads", '[data-testid="stDataFrame"]', 1),
    ("Website chat", "website_chat", '[data-testid="stAlert"]', 0),
    ("Comments", "comments", '[data-testid="stDataFrame"]', 1),
    ("Retention", "retention", '[data-testid="stDataFrame"]', 2),
    ("Contacts", "contacts", '[data-testid="stDataFrame"]', 0),
    ("Reports", "reports", '[data-testid="stCode"]', 0),
    ("Create links", "create_links", 'h3:has-text("Registered links")', 0),
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(),
        reason=f"{CHROMIUM} is missing: {INSTALL_HINT}",
    ),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    def __init__(self, url: str, log: Path) -> None:
        self.url = url
        self.log = log

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]


@pytest.fixture(scope="module")
def server(demo_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with run_dashboard(demo_db, tmp_path_factory.mktemp("server") / "dashboard.log") as srv:
        yield srv


@contextlib.contextmanager
def run_dashboard(
    db: Path,
    log: Path,
    extra_env: dict[str, str] | None = None,
    cwd: Path | None = None,
    by_hand: bool = False,
) -> Iterator[Server]:
    """`refscope dashboard` on a free 127.0.0.1 port, polled until healthy, always stopped;
    by_hand: `streamlit run` on the app, as a user might start it instead."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("REFSCOPE_")}
    env["PYTHONUNBUFFERED"] = "1"  # the log must hold everything when a test fails
    env |= extra_env or {}
    if by_hand:
        env["REFSCOPE_DB"] = str(db)
        cmd = [sys.executable, "-m", "streamlit", "run", str(APP), "--server.port", str(port),
               "--server.address", "127.0.0.1", "--server.headless", "true",
               "--browser.gatherUsageStats", "false"]  # fmt: skip
    else:
        cmd = [sys.executable, "-m", "ingest", "dashboard", "--db", str(db),
               "--port", str(port), "--host", "127.0.0.1"]  # fmt: skip
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=cwd)
    srv = Server(f"http://127.0.0.1:{port}", log)
    try:
        deadline = time.monotonic() + READY_SECONDS
        while True:
            if proc.poll() is not None:
                pytest.fail(f"dashboard exited with {proc.returncode}:\n{srv.output()}")
            try:
                with urllib.request.urlopen(f"{srv.url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"dashboard not healthy after {READY_SECONDS} s:\n{srv.output()}")
            time.sleep(0.2)
        yield srv
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page(browser: Browser, server: Server, request: pytest.FixtureRequest) -> Iterator[Page]:
    yield from open_page(browser, server, request)


def open_page(browser: Browser, server: Server, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A fresh browser page; on failure a screenshot and the server's log are kept."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    p = context.new_page()
    p.set_default_timeout(RENDER_MS)
    try:
        yield p
    finally:
        rep = getattr(request.node, "rep_call", None)
        if rep is not None and rep.failed:
            SCREENSHOTS.mkdir(exist_ok=True)
            shot = SCREENSHOTS / f"{re.sub(r'[^A-Za-z0-9_.-]', '_', request.node.name)}.png"
            p.screenshot(path=str(shot), full_page=True)
            print(f"screenshot: {shot}\nserver log:\n{server.output()}")
        context.close()


@pytest.fixture
def last_day(con: Any) -> dt.date:
    (last,) = con.execute("SELECT CAST(max(ts) AS DATE) FROM events").fetchone()
    return last


def finished(page: Page, title: str, ready: str, plots: int | None = None) -> None:
    """Wait for the page's title, its last element and its charts, then check nothing failed."""
    expect(page.locator("h1").filter(has_text=title)).to_be_visible()
    expect(page.locator(ready).first).to_be_visible()
    expect(page.locator('[data-testid="stStatusWidget"]')).to_have_count(0)
    expect(page.locator('[data-stale="true"]')).to_have_count(0)  # the last page's leftovers
    if plots is not None:
        expect(page.locator(".js-plotly-plot")).to_have_count(plots)
    assert page.locator('[data-testid="stException"]').count() == 0
    assert "Traceback" not in page.locator("body").inner_text()


def choose(page: Page, label: str, option: str) -> None:
    """Pick option in the selectbox of label. A rerun of the page (as it settles after loading)
    may close the list before the option shows, or redraw it while the option is clicked: the
    list is opened again then, ten times at most."""
    for _ in range(10):
        page.get_by_role("combobox", name=label, exact=True).click()
        try:
            expect(page.get_by_role("option", name=option, exact=True)).to_be_visible(timeout=3000)
            page.get_by_role("option", name=option, exact=True).click(timeout=3000)
        except (AssertionError, PlaywrightTimeoutError):
            continue
        expect(page.get_by_role("combobox", name=label, exact=True)).to_have_value(option)
        return
    raise AssertionError(f"{option!r} never showed in the {label!r} list")


def kpi(page: Page, label: str) -> Any:
    return (
        page.locator('[data-testid="stMetric"]')
        .filter(has_text=label)
        .locator('[data-testid="stMetricValue"]')
    )


def test_every_page_opens_from_the_sidebar(page, server):
    page.goto(server.url)
    finished(page, "Overview", PAGES[0][2], 2)
    nav = page.locator('[data-testid="stSidebarNav"]')
    expect(nav.get_by_role("link")).to_have_text([title for title, *_ in PAGES])
    for title, path, ready, plots in PAGES[1:]:
        nav.get_by_role("link", name=title, exact=True).click()
        page.wait_for_url(re.compile(rf"/{path}(\?|$)"))
        finished(page, title, ready, plots)


def test_readers_get_no_developer_menu(page, server):
    """No Deploy button (it offers to publish the app on Streamlit's cloud), no Clear cache:
    the menu keeps what a reader uses."""
    page.goto(server.url)
    finished(page, "Overview", PAGES[0][2], 2)
    expect(page.get_by_role("button", name="Deploy")).to_have_count(0)
    page.locator('[data-testid="stMainMenu"]').click()
    menu = page.locator('[data-testid="stMainMenuPopover"]')
    expect(menu).to_contain_text("Print")
    expect(menu).not_to_contain_text("Clear cache")


@pytest.mark.parametrize(
    "title, path, ready, plots", PAGES, ids=[p[1] or "overview" for p in PAGES]
)
def test_every_page_opens_from_its_url(page, server, title, path, ready, plots):
    page.goto(f"{server.url}/{path}")
    finished(page, title, ready, plots)


def test_choosing_a_preset_and_a_channel_updates_the_url_and_kpis(page, server, con, last_day):
    page.goto(server.url)
    finished(page, "Overview", PAGES[0][2], 2)
    default = Filters(last_day - dt.timedelta(days=27), last_day)
    expect(kpi(page, "New contacts")).to_have_text(f"{new_contacts(con, default):,}")

    sidebar = page.locator('[data-testid="stSidebar"]')
    sidebar.locator('[data-testid="stSelectbox"]').filter(has_text="Date range").click()
    page.get_by_role("option", name="Last 7 days", exact=True).click()
    page.wait_for_url(re.compile(r"[?&]range=Last(\+|%20)7(\+|%20)days"))
    week = Filters(last_day - dt.timedelta(days=6), last_day)
    expect(kpi(page, "New contacts")).to_have_text(f"{new_contacts(con, week):,}")
    assert f"from={week.start}" in page.url and f"to={week.end}" in page.url

    sidebar.locator('[data-testid="stMultiSelect"]').filter(has_text="Channels").click()
    page.get_by_role("option", name="Click-to-Messenger ad", exact=True).click()
    page.wait_for_url(re.compile(r"[?&]channel=ctm_ad"))
    ads = Filters(week.start, week.end, channels=("ctm_ad",))
    assert new_contacts(con, ads) != new_contacts(con, week)
    expect(kpi(page, "New contacts")).to_have_text(f"{new_contacts(con, ads):,}")
    finished(page, "Overview", PAGES[0][2], 2)


def test_each_pick_in_a_row_counts(page, server, con, last_day):
    """Two picks of the same filter one after the other: both apply (a widget re-made from the
    URL the first pick had rewritten dropped the second)."""
    page.goto(server.url)
    finished(page, "Overview", PAGES[0][2], 2)
    sidebar = page.locator('[data-testid="stSidebar"]')
    for preset, days in (("Last 7 days", 7), ("Last 90 days", 90)):
        sidebar.locator('[data-testid="stSelectbox"]').filter(has_text="Date range").click()
        page.get_by_role("option", name=preset, exact=True).click()
        page.wait_for_url(re.compile(rf"[?&]range=Last(\+|%20){days}(\+|%20)days"))
        f = Filters(last_day - dt.timedelta(days=days - 1), last_day)
        expect(kpi(page, "New contacts")).to_have_text(f"{new_contacts(con, f):,}")
    chosen: tuple[str, ...] = ()
    for channel, label in (("ctm_ad", "Click-to-Messenger ad"), ("organic", "Organic")):
        box = sidebar.locator('[data-testid="stMultiSelect"]').filter(has_text="Channels")
        box.locator("input").click()
        page.get_by_role("option", name=label, exact=True).click()
        page.wait_for_url(re.compile(rf"[?&]channel={channel}"))
        chosen += (channel,)
        f = Filters(last_day - dt.timedelta(days=89), last_day, channels=chosen)
        expect(kpi(page, "New contacts")).to_have_text(f"{new_contacts(con, f):,}")
    assert "channel=ctm_ad" in page.url and "range=Last+90+days" in page.url.replace("%20", "+")


def test_a_shared_url_opens_with_its_filters(page, server, con, last_day):
    page.goto(f"{server.url}/contacts?range=Last+7+days&channel=ctm_ad")
    finished(page, "Contacts", '[data-testid="stDataFrame"]')
    f = Filters(last_day - dt.timedelta(days=6), last_day, channels=("ctm_ad",))
    n = len(queries.contact_rows(con, f))
    expect(page.get_by_text(f"{n:,} contacts acquired {f.start} – {f.end}")).to_be_visible()


def test_filters_follow_the_user_to_another_page(page, server, con, last_day):
    page.goto(f"{server.url}/?range=Last+7+days&channel=organic&channel=ctm_ad")
    finished(page, "Overview", PAGES[0][2], 2)
    nav = page.locator('[data-testid="stSidebarNav"]')
    nav.get_by_role("link", name="Contacts", exact=True).click()
    page.wait_for_url(re.compile(r"/contacts\?"))
    finished(page, "Contacts", '[data-testid="stDataFrame"]')
    f = Filters(last_day - dt.timedelta(days=6), last_day, channels=("organic", "ctm_ad"))
    n = len(queries.contact_rows(con, f))
    expect(page.get_by_text(f"{n:,} contacts acquired {f.start} – {f.end}")).to_be_visible()
    assert "range=Last+7+days" in page.url.replace("%20", "+")
    assert "channel=organic" in page.url and "channel=ctm_ad" in page.url


def test_a_ref_two_pages_use_is_picked_per_page_on_contacts(page, server, con, last_day):
    """Links & QR codes counts a ref per page; Contacts offered it once and, with every page
    shown, listed both pages' contacts under it."""
    page.goto(f"{server.url}/contacts")
    finished(page, "Contacts", '[data-testid="stDataFrame"]')
    f = Filters(last_day - dt.timedelta(days=27), last_day)
    refs = queries.refs(con, f)
    refs = refs[refs["new_contacts"] > 0]
    shared = refs[refs["ref"].duplicated(keep=False)]
    assert len(shared) >= 2
    for r in shared.itertuples():
        option = f"{r.ref} · {r.page_id}"  # the demo database names no page
        choose(page, "Link or QR ref", option)
        caption = f"{r.new_contacts:,} contact{'s' * (r.new_contacts != 1)} acquired"
        expect(page.get_by_text(f"{caption} {f.start} – {f.end}")).to_be_visible()


def new_contacts(con: Any, f: Filters) -> int:
    return int(queries.kpis(con, f)["new_contacts"].iloc[0])


def test_a_ref_pick_is_named_anew_when_the_pages_filter_narrows(page, server, con, last_day):
    """A ref two pages use is named with its page; once the pages filter keeps one of them, the
    picker names it by the ref alone, as its list does (it kept showing "ref · page")."""
    page.goto(f"{server.url}/contacts")
    finished(page, "Contacts", '[data-testid="stDataFrame"]')
    f = Filters(last_day - dt.timedelta(days=27), last_day)
    refs = queries.refs(con, f)
    refs = refs[refs["new_contacts"] > 0]
    r = next(refs[refs["ref"].duplicated(keep=False)].itertuples())
    choose(page, "Link or QR ref", f"{r.ref} · {r.page_id}")
    sidebar = page.locator('[data-testid="stSidebar"]')
    sidebar.locator('[data-testid="stMultiSelect"]').filter(has_text="Pages").locator(
        "input"
    ).click()
    page.get_by_role("option", name=r.page_id, exact=True).click()
    page.wait_for_url(re.compile(rf"[?&]page={r.page_id}"))
    page.keyboard.press("Escape")  # the pages list stays open over the main area
    caption = f"{r.new_contacts:,} contact{'s' * (r.new_contacts != 1)} acquired"
    expect(page.get_by_text(f"{caption} {f.start} – {f.end}")).to_be_visible()
    finished(page, "Contacts", '[data-testid="stDataFrame"]')
    expect(page.get_by_role("combobox", name="Link or QR ref", exact=True)).to_have_value(r.ref)
