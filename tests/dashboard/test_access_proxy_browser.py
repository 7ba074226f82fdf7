"""A reverse proxy on the same machine in front of `refscope dashboard` on 127.0.0.1, with no
login set, in headless Chromium: the proxy connects from loopback whoever it forwards, so a
visitor it forwards from another machine sees only the error saying what to set; one it
forwards from this machine sees the dashboard. So does a page opened under a name that is not
this machine's own (DNS rebinding: a site's name answered with 127.0.0.1)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import duckdb
import pytest
from playwright.sync_api import Page, expect, sync_playwright

from dashboard import queries
from dashboard.filters import Filters
from ingest.access import PASSWORD_ENV
from tests.dashboard.reverse_proxy import reverse_proxy
from tests.dashboard.test_access_browser import (  # noqa: F401 (browser_page is a fixture)
    assert_page_shows_no_data,
    browser_page,
    needs_chromium,
)
from tests.dashboard.test_browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    RENDER_MS,
    free_port,
    kpi,
    run_dashboard,
)

pytestmark = [pytest.mark.browser, needs_chromium]


@pytest.fixture(scope="module")
def open_server(demo_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """`refscope dashboard` on 127.0.0.1 with no login (none needed there); its port."""
    root = tmp_path_factory.mktemp("proxied")
    with run_dashboard(demo_db, root / "dashboard.log", {"HOME": str(root)}, cwd=root) as srv:
        port = urlsplit(srv.url).port
        assert port is not None
        yield port


def test_a_visitor_a_local_proxy_forwards_from_elsewhere_sees_no_data(
    browser_page: Page,  # noqa: F811 (the fixture imported above)
    open_server: int,
) -> None:
    forwarded = [("X-Forwarded-For", "203.0.113.7"), ("X-Real-IP", "203.0.113.7")]  # nginx's
    with reverse_proxy(free_port(), open_server, forwarded) as url:
        page = browser_page
        page.goto(f"{url}/contacts")
        expect(page.get_by_text("refusing to show the dashboard without a login")).to_be_visible()
        expect(page.get_by_text(PASSWORD_ENV)).to_be_visible()
        assert_page_shows_no_data(page)


def test_a_visitor_a_local_proxy_forwards_from_this_machine_sees_the_dashboard(
    browser_page: Page,  # noqa: F811 (the fixture imported above)
    open_server: int,
    con: duckdb.DuckDBPyConnection,
) -> None:
    with reverse_proxy(free_port(), open_server, [("X-Forwarded-For", "127.0.0.1")]) as url:
        page = browser_page
        page.goto(url)
        (last,) = con.execute("SELECT CAST(max(ts) AS DATE) FROM events").fetchone()
        kpis = queries.kpis(con, Filters(last - dt.timedelta(days=27), last))
        expect(kpi(page, "New contacts")).to_have_text(f"{int(kpis['new_contacts'].iloc[0]):,}")


def test_a_page_opened_under_a_name_rebound_to_this_machine_sees_no_data(open_server, con):
    """What DNS rebinding gives a site: its own name resolving to 127.0.0.1 in this machine's
    browser, so its script shares an origin with the dashboard (Chromium maps the name; and
    localhost to 127.0.0.1 only, where the dashboard listens: a machine may resolve it to ::1
    first, where another server may listen)."""
    rule = "--host-resolver-rules=MAP rebind.example 127.0.0.1, MAP localhost 127.0.0.1"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, rule])
        try:
            page = browser.new_page()
            page.set_default_timeout(RENDER_MS)
            page.goto(f"http://rebind.example:{open_server}/")
            expect(page.get_by_text("name other than localhost")).to_be_visible()
            assert_page_shows_no_data(page)
            assert "New contacts" not in page.evaluate("document.body.innerText")

            page.goto(f"http://localhost:{open_server}/")
            (last,) = con.execute("SELECT CAST(max(ts) AS DATE) FROM events").fetchone()
            kpis = queries.kpis(con, Filters(last - dt.timedelta(days=27), last))
            expected = f"{int(kpis['new_contacts'].iloc[0]):,}"
            expect(kpi(page, "New contacts")).to_have_text(expected)
        finally:
            browser.close()


@pytest.fixture(scope="module")
def open_server_any_origin(
    demo_db: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[int]:
    """As open_server, with Streamlit's cross-origin check off (server.enableCORS false, as
    guides to running it behind a proxy often set): the WebSocket accepts any Origin."""
    root = tmp_path_factory.mktemp("any-origin")
    env = {"HOME": str(root), "STREAMLIT_SERVER_ENABLE_CORS": "false"}
    with run_dashboard(demo_db, root / "dashboard.log", env, cwd=root) as srv:
        port = urlsplit(srv.url).port
        assert port is not None
        yield port


def test_a_proxy_that_adds_no_header_still_leaves_the_origin_of_its_page(
    open_server_any_origin: int,
) -> None:
    """nginx's defaults: Host names the upstream (127.0.0.1), no X-Forwarded-*; the browser's
    Origin is the proxy's public name (Chromium maps it to the proxy on 127.0.0.1)."""
    rule = "--host-resolver-rules=MAP dash.example 127.0.0.1"
    with (
        reverse_proxy(free_port(), open_server_any_origin, [], host=True) as url,
        sync_playwright() as pw,
    ):
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, rule])
        try:
            page = browser.new_page()
            page.set_default_timeout(RENDER_MS)
            page.goto(url.replace("127.0.0.1", "dash.example"))
            expect(page.get_by_text("name other than localhost")).to_be_visible()
            assert_page_shows_no_data(page)
        finally:
            browser.close()
