"""`streamlit run dashboard/streamlit_app.py`, as a user might start the dashboard instead of
`refscope dashboard`, on a free 127.0.0.1 port in headless Chromium: the OIDC login that
.streamlit/secrets.toml configures is asked for, and secrets Streamlit cannot read are an error,
not a dashboard without a login."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.dashboard.test_access_browser import (  # noqa: F401 (browser_page is a fixture)
    assert_page_shows_no_data,
    browser_page,
    needs_chromium,
    settled,
)
from tests.dashboard.test_browser import run_dashboard

AUTH_TOML = """[auth]
redirect_uri = "http://localhost:8501/oauth2callback"
cookie_secret = "{secret}"
client_id = "refscope-test"
client_secret = "{secret}"
server_metadata_url = "http://127.0.0.1:9/.well-known/openid-configuration"
"""
SECRET = "n0t-shown-anywhere-Ü"

pytestmark = [pytest.mark.browser, needs_chromium]


@contextmanager
def opened_by_hand(page: Page, demo_db: Path, root: Path, secrets: str) -> Iterator[None]:
    """The dashboard started by hand in root, whose .streamlit/secrets.toml holds secrets,
    opened in page; stopped afterwards, and its log shown no secret."""
    (root / ".streamlit").mkdir()
    (root / ".streamlit" / "secrets.toml").write_text(secrets, encoding="utf-8")
    with run_dashboard(demo_db, root / "dashboard.log", {"HOME": str(root)}, root, True) as srv:
        page.goto(srv.url)
        yield
        assert SECRET not in page.content()
    assert SECRET not in srv.log.read_text(errors="replace")


def test_started_by_hand_the_oidc_login_of_its_secrets_is_asked_for(
    browser_page: Page,  # noqa: F811 (the fixture imported above)
    demo_db: Path,
    tmp_path: Path,
) -> None:
    with opened_by_hand(browser_page, demo_db, tmp_path, AUTH_TOML.format(secret=SECRET)):
        expect(browser_page.get_by_role("button", name="Log in")).to_be_visible()
        expect(browser_page.get_by_text("Sign in to see the dashboard.")).to_be_visible()
        assert_page_shows_no_data(browser_page)


def test_started_by_hand_secrets_it_cannot_read_show_an_error_and_no_data(
    browser_page: Page,  # noqa: F811 (the fixture imported above)
    demo_db: Path,
    tmp_path: Path,
) -> None:
    """The error names the file and where it breaks (line and column: digits, so not
    assert_page_shows_no_data), and none of its values."""
    broken = AUTH_TOML.format(secret=SECRET) + "client_kwargs = {\n"
    with opened_by_hand(browser_page, demo_db, tmp_path, broken):
        error = browser_page.locator('[data-testid="stAlertContentError"]')
        expect(error).to_contain_text("cannot read its secrets")
        expect(error).to_contain_text(str(tmp_path / ".streamlit" / "secrets.toml"))
        assert "New contacts" not in settled(browser_page)
        for testid in ("stMetric", "stDataFrame", "stSidebarNav", "stSelectbox", "stButton"):
            assert browser_page.locator(f'[data-testid="{testid}"]').count() == 0, testid
