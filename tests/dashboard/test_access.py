"""Dashboard access control: the decisions in ingest.access, `refscope dashboard` refusing a public
address without a login (never exec'ing), the login gate in AppTest, and the real server."""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from playwright.sync_api import Page, expect, sync_playwright
from streamlit.testing.v1 import AppTest

from dashboard import auth, queries, store
from dashboard.filters import Filters
from ingest import access
from ingest.access import AUTH_ENV, PASSWORD_ENV, AccessError
from ingest.cli import cli
from tests.dashboard.test_browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    RENDER_MS,
    kpi,
    run_dashboard,
)

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "dashboard" / "streamlit_app.py"
TIMEOUT = 60  # seconds per AppTest run; the first imports plotly and pandas
PASSWORD = "corr3ct-h0rse-Ünïcode"
AUTH_TOML = '[auth]\nredirect_uri = "http://localhost:8501/oauth2callback"\ncookie_secret = "c"\n'


# --- ingest.access: pure decisions ------------------------------------------------------------

LOOPBACK = ["127.0.0.1", "127.8.9.10", "::1", "[::1]", "localhost", "LocalHost", "localhost.",
            "::ffff:127.0.0.1", " 127.0.0.1 "]  # fmt: skip
PUBLIC = ["0.0.0.0", "", "::", "192.168.1.20", "10.0.0.1", "128.0.0.1", "::ffff:10.0.0.1",
          "example.com", "localhost.example.com", "fe80::1"]  # fmt: skip


@pytest.mark.parametrize("host", LOOPBACK, ids=LOOPBACK)
def test_loopback_addresses_are_loopback(host):
    assert access.is_loopback(host)


@pytest.mark.parametrize("host", PUBLIC, ids=[h or "empty" for h in PUBLIC])
def test_every_other_address_is_public(host):
    assert not access.is_loopback(host)


@pytest.fixture
def auth_toml(tmp_path: Path) -> Path:
    path = tmp_path / "project" / ".streamlit" / "secrets.toml"
    path.parent.mkdir(parents=True)
    path.write_text(AUTH_TOML + '[auth.google]\nclient_id = "x"\n')
    return path


@pytest.mark.parametrize(
    "host, password, oidc, authlib, mode",
    [
        ("127.0.0.1", False, False, False, "none"),
        ("localhost", True, False, False, "password"),
        ("0.0.0.0", True, False, False, "password"),
        ("0.0.0.0", False, True, True, "oidc"),
        ("0.0.0.0", True, True, True, "oidc"),
        ("0.0.0.0", True, True, False, "password"),
        ("127.0.0.1", False, True, True, "oidc"),
        ("127.0.0.1", False, True, False, "none"),
    ],
    ids=["loopback", "loopback-password", "public-password", "public-oidc", "oidc-over-password",
         "oidc-without-authlib-falls-back", "loopback-oidc", "loopback-oidc-without-authlib"],
)  # fmt: skip
def test_serve_access_picks_the_login(auth_toml, tmp_path, host, password, oidc, authlib, mode):
    env = {PASSWORD_ENV: PASSWORD} if password else {}
    env |= {access.ALLOWED_EMAILS_ENV: "@example.com"}
    files = [auth_toml if oidc else tmp_path / "missing.toml"]
    chosen = access.serve_access(host, env, files, authlib=authlib)
    assert chosen.mode == mode
    assert PASSWORD not in chosen.why


@pytest.mark.parametrize("host", ["0.0.0.0", "", "192.168.1.20"], ids=["any", "empty", "lan"])
def test_public_address_without_a_login_is_refused_naming_what_to_set(tmp_path, host):
    with pytest.raises(AccessError) as err:
        access.serve_access(host, {}, [tmp_path / "none.toml"], authlib=True)
    assert PASSWORD_ENV in str(err.value) and "[auth]" in str(err.value)
    assert ".streamlit/secrets.toml" in str(err.value)


def test_public_oidc_without_an_allow_list_is_refused_naming_it(auth_toml):
    """A provider such as Google signs in anyone with an account: off loopback, OIDC needs a
    list of who may enter before the dashboard starts."""
    with pytest.raises(AccessError, match=access.ALLOWED_EMAILS_ENV):
        access.serve_access("0.0.0.0", {PASSWORD_ENV: PASSWORD}, [auth_toml], authlib=True)
    assert access.serve_access("127.0.0.1", {}, [auth_toml], authlib=True).mode == "oidc"


def test_an_allow_list_of_commas_only_is_no_allow_list(auth_toml):
    with pytest.raises(AccessError, match=access.ALLOWED_EMAILS_ENV):
        access.serve_access("0.0.0.0", {access.ALLOWED_EMAILS_ENV: ",,"}, [auth_toml], authlib=True)


@pytest.mark.parametrize("listed", [" ", " , ,", "\t"], ids=["space", "spaced-commas", "tab"])
def test_an_allow_list_of_blanks_is_no_allow_list_as_for_the_app(auth_toml, listed):
    """The app reads such a list as empty and lets no one in: the CLI refuses to start it."""
    env = {access.ALLOWED_EMAILS_ENV: listed}
    assert auth.allowed_emails(env) == []
    with pytest.raises(AccessError, match=access.ALLOWED_EMAILS_ENV):
        access.serve_access("0.0.0.0", env, [auth_toml], authlib=True)


def test_auth_section_without_authlib_says_to_install_it(auth_toml):
    with pytest.raises(AccessError, match="Authlib"):
        access.serve_access("0.0.0.0", {}, [auth_toml], authlib=False)


def test_an_auth_section_needs_redirect_uri_and_cookie_secret(tmp_path):
    path = tmp_path / "secrets.toml"
    path.write_text('[auth]\nredirect_uri = "http://x/oauth2callback"\n')
    assert access.oidc_configured([path]) is None
    path.write_text(AUTH_TOML)
    assert access.oidc_configured([tmp_path / "absent.toml", path]) == path


def test_invalid_secrets_toml_is_refused_without_its_values(tmp_path):
    path = tmp_path / "secrets.toml"
    path.write_text('api_key = "sk-very-secret"\n[auth\n')
    with pytest.raises(AccessError, match="not valid TOML") as err:
        access.oidc_configured([path])
    assert "sk-very-secret" not in str(err.value)


def test_secrets_files_are_streamlits_global_project_and_app_files(tmp_path):
    app = tmp_path / "app" / "streamlit_app.py"
    got = access.secrets_files(app, cwd=tmp_path / "cwd", home=tmp_path / "home")
    assert got == [
        tmp_path / "home" / ".streamlit" / "secrets.toml",
        tmp_path / "cwd" / ".streamlit" / "secrets.toml",
        tmp_path / "app" / ".streamlit" / "secrets.toml",
    ]


@pytest.mark.parametrize(
    "env, mode",
    [
        ({}, "none"),
        ({AUTH_ENV: "none"}, "none"),
        ({AUTH_ENV: "oidc"}, "oidc"),
        ({AUTH_ENV: "oidc", PASSWORD_ENV: PASSWORD}, "oidc"),
        ({AUTH_ENV: "password", PASSWORD_ENV: PASSWORD}, "password"),
        ({PASSWORD_ENV: PASSWORD}, "password"),
        ({AUTH_ENV: "none", PASSWORD_ENV: PASSWORD}, "password"),
        ({AUTH_ENV: " OIDC "}, "oidc"),
    ],
    ids=["unset", "none", "oidc", "oidc-and-password", "password", "password-only",
         "password-despite-none", "oidc-spaced-capitals"],
)  # fmt: skip
def test_the_app_enforces_the_cli_choice_and_any_set_password(env, mode):
    assert access.app_mode(env) == mode


@pytest.mark.parametrize(
    "env",
    [{AUTH_ENV: "password"}, {AUTH_ENV: "letmein"}, {AUTH_ENV: "password", PASSWORD_ENV: ""}],
    ids=["password-unset", "unknown-mode", "password-empty"],
)
def test_the_app_refuses_a_login_it_cannot_enforce(env):
    with pytest.raises(AccessError):
        access.app_mode(env)


def test_password_comparison():
    assert access.password_matches(PASSWORD, PASSWORD)
    assert not access.password_matches(PASSWORD[:-1], PASSWORD)
    assert not access.password_matches("", PASSWORD)
    assert not access.password_matches(PASSWORD + "x", PASSWORD)


def test_a_password_set_from_bytes_that_are_not_utf8_compares_without_an_error():
    """os.environ holds such bytes as lone surrogates (surrogateescape): a login attempt is
    told no (or yes, given the same), not a crash of the login page."""
    expected = b"caf\xe9-42".decode("utf-8", "surrogateescape")  # a Latin-1 shell's "café-42"
    assert not access.password_matches("café-42", expected)
    assert not access.password_matches("", expected)
    assert access.password_matches(expected, expected)


def test_password_comparison_is_constant_time(monkeypatch):
    compared = []
    real = access.hmac.compare_digest

    def spy(a, b):
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(access.hmac, "compare_digest", spy)
    assert not access.password_matches("guess", PASSWORD)
    assert len(compared) == 1 and all(len(x) == 32 for x in compared[0])  # the two digests


@pytest.mark.parametrize(
    "version, ok",
    [("1.3.1", False), ("1.3.2", True), ("1.3.10", True), ("1.4", True), ("2.0.0", True)],
)
def test_authlib_from_the_oldest_version_st_login_accepts(monkeypatch, version, ok):
    monkeypatch.setattr(access.metadata, "version", lambda name: version)
    assert access.authlib_installed() is ok


def test_retry_delay_doubles_and_is_capped():
    delays = [access.retry_delay(n) for n in range(0, 9)]
    assert delays == [0, 1, 2, 4, 8, 16, access.RETRY_DELAY_CAP, 30, 30]
    assert access.retry_delay(10_000) == access.RETRY_DELAY_CAP


# --- `refscope dashboard`: refuses before exec --------------------------------------------------


class Execed(Exception):
    """Raised by the patched os.execve: the command got as far as starting Streamlit."""


@pytest.fixture
def execs(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[tuple[list[str], dict]]:
    """os.execve recorded and stopped; no secrets.toml of this machine is read."""
    calls: list[tuple[list[str], dict]] = []

    def execve(path: str, args: list[str], env: dict) -> None:
        calls.append((args, env))
        raise Execed

    monkeypatch.setattr(os, "execve", execve)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    return calls


def dashboard_cmd(runner: CliRunner, tmp_path: Path, host: str) -> Any:
    args = ["dashboard", "--db", str(tmp_path / "x.duckdb"), "--host", host, "--port", "8999"]
    return runner.invoke(cli, args)


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.20"], ids=["any", "any6", "lan"])
def test_dashboard_refuses_a_public_host_without_a_login(runner, tmp_path, execs, host):
    result = dashboard_cmd(runner, tmp_path, host)
    assert result.exit_code != 0
    assert PASSWORD_ENV in result.output and "[auth]" in result.output
    assert execs == []


def test_dashboard_on_a_public_host_with_a_password_tells_the_app(
    runner, tmp_path, execs, monkeypatch
):
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    result = dashboard_cmd(runner, tmp_path, "0.0.0.0")
    assert isinstance(result.exception, Execed)  # the patched execve: nothing was started
    ((args, env),) = execs
    assert args[args.index("--server.address") + 1] == "0.0.0.0"
    assert env[AUTH_ENV] == "password" and env[PASSWORD_ENV] == PASSWORD
    assert f"login: password from {PASSWORD_ENV}" in result.output
    assert PASSWORD not in result.output


def test_dashboard_on_loopback_needs_no_login(runner, tmp_path, execs):
    result = dashboard_cmd(runner, tmp_path, "127.0.0.1")
    assert isinstance(result.exception, Execed)
    assert execs[0][1][AUTH_ENV] == "none"


def test_dashboard_uses_oidc_when_the_project_secrets_configure_it(
    runner, tmp_path, execs, monkeypatch
):
    monkeypatch.setattr(access, "authlib_installed", lambda: True)
    monkeypatch.setenv(access.ALLOWED_EMAILS_ENV, "team@example.com")
    (tmp_path / ".streamlit").mkdir()
    (tmp_path / ".streamlit" / "secrets.toml").write_text(AUTH_TOML)
    result = dashboard_cmd(runner, tmp_path, "0.0.0.0")
    assert isinstance(result.exception, Execed)
    assert execs[0][1][AUTH_ENV] == "oidc"
    assert "OpenID Connect" in result.output


# --- the login gate in AppTest ------------------------------------------------------------------


@pytest.fixture
def delays(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The gate's sleeps, recorded instead of slept; no failures of earlier tests counted."""
    slept: list[float] = []
    monkeypatch.setattr(auth, "sleep", slept.append)
    monkeypatch.setattr(auth, "FAILURES_IN_PROCESS", auth.FailureCount())
    return slept


@pytest.fixture
def gated(monkeypatch: pytest.MonkeyPatch, demo_db: Path, delays: list[float]) -> AppTest:
    monkeypatch.setenv("REFSCOPE_DB", str(demo_db))
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    return AppTest.from_file(str(APP), default_timeout=TIMEOUT)


def assert_no_data(at: AppTest) -> None:
    assert not at.exception, [e.message for e in at.exception]
    assert [t.value for t in at.title] == ["refscope"]
    assert len(at.metric) == len(at.dataframe) == len(at.get("plotly_chart")) == 0
    assert len(at.sidebar.selectbox) == len(at.sidebar.multiselect) == 0


def log_in(at: AppTest, password: str) -> AppTest:
    (field,) = at.text_input
    field.input(password)
    (button,) = [b for b in at.button if b.label == "Log in"]
    button.click()
    return at.run()


def test_login_screen_reads_nothing_and_shows_no_data(gated, monkeypatch):
    def refuse(*args: Any) -> Any:
        raise AssertionError("the database was read before login")

    monkeypatch.setattr(store, "status", refuse)
    monkeypatch.setattr(store, "fetch", refuse)
    at = gated.run()
    assert_no_data(at)
    assert [t.label for t in at.text_input] == ["Password"]
    assert at.text_input[0].proto.type == at.text_input[0].proto.PASSWORD


def test_wrong_password_shows_an_error_no_data_and_the_delay_grows(gated, delays):
    at = gated.run()
    for _ in range(3):
        log_in(at, "wrong")
        assert_no_data(at)
        assert [e.value for e in at.error] == ["Wrong password."]
    assert delays == [1, 2, 4]


def test_right_password_shows_the_overview_with_its_kpis(gated, delays, con):
    at = log_in(gated.run(), "wrong")
    at = log_in(at, PASSWORD)
    assert not at.exception, [e.message for e in at.exception]
    assert [t.value for t in at.title] == ["Overview"]
    (last,) = con.execute("SELECT CAST(max(ts) AS DATE) FROM events").fetchone()
    kpis = queries.kpis(con, Filters(last - dt.timedelta(days=27), last))
    new = int(kpis["new_contacts"].iloc[0])
    assert new > 0
    assert [m.value for m in at.metric if m.label == "New contacts"] == [f"{new:,}"]
    assert len(at.get("plotly_chart")) == 2
    assert delays == [1]
    assert not at.error


def test_log_out_returns_to_the_login_screen_and_the_delay_starts_over(gated, delays):
    at = log_in(log_in(gated.run(), "wrong"), PASSWORD)
    (logout,) = at.sidebar.button
    assert logout.label == "Log out"
    assert at.query_params["range"]
    logout.click()
    at.run()
    assert_no_data(at)
    assert not at.query_params
    log_in(at, "again wrong")
    assert delays == [1, 1]


def test_the_delay_grows_across_sessions_until_a_right_password(gated, delays):
    log_in(gated.run(), "wrong")
    other = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    log_in(other.run(), "wrong in a new session")
    assert_no_data(other)
    assert delays == [1, 2]
    log_in(other, PASSWORD)
    assert [t.value for t in other.title] == ["Overview"]
    log_in(AppTest.from_file(str(APP), default_timeout=TIMEOUT).run(), "wrong again")
    assert delays == [1, 2, 1]


def test_no_password_is_compared_while_a_wrong_one_waits(gated, monkeypatch):
    held: list[bool] = []
    monkeypatch.setattr(
        auth, "sleep", lambda s: held.append(auth.FAILURES_IN_PROCESS.lock.locked())
    )
    log_in(gated.run(), "wrong")
    assert held == [True]


def test_a_set_password_is_asked_for_even_when_the_cli_chose_none(gated, monkeypatch):
    monkeypatch.setenv(AUTH_ENV, "none")
    assert_no_data(gated.run())
    assert [t.label for t in gated.text_input] == ["Password"]


@pytest.mark.parametrize("mode", ["password", "sesame"], ids=["password-unset", "unknown"])
def test_a_login_the_app_cannot_enforce_shows_an_error_and_no_data(gated, monkeypatch, mode):
    monkeypatch.delenv(PASSWORD_ENV)
    monkeypatch.setenv(AUTH_ENV, mode)
    at = gated.run()
    assert_no_data(at)
    assert AUTH_ENV in at.error[0].value
    assert not at.text_input


@pytest.fixture
def oidc_app(monkeypatch: pytest.MonkeyPatch, demo_db: Path) -> AppTest:
    monkeypatch.setenv("REFSCOPE_DB", str(demo_db))
    monkeypatch.setenv(AUTH_ENV, "oidc")
    monkeypatch.setenv(auth.ALLOWED_EMAILS_ENV, " Ana@Example.com, @team.example ")
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.secrets["auth"] = {
        "redirect_uri": "http://localhost:8501/oauth2callback",
        "cookie_secret": "c",
        "google": {"client_id": "g"},
        "okta": {"client_id": "o"},
    }
    return at


def test_oidc_logged_out_shows_a_login_button_per_provider_and_no_data(oidc_app):
    oidc_app.user = {"is_logged_in": False}
    at = oidc_app.run()
    assert_no_data(at)
    assert [b.label for b in at.button] == ["Log in with google", "Log in with okta"]


def test_oidc_logged_in_shows_the_overview_and_a_log_out_button(oidc_app):
    oidc_app.user = {"is_logged_in": True, "email": "ana@example.com"}
    at = oidc_app.run()
    assert not at.exception, [e.message for e in at.exception]
    assert [t.value for t in at.title] == ["Overview"]
    assert at.metric
    assert "Signed in as ana@example.com" in [c.value for c in at.sidebar.caption]
    (logout,) = at.sidebar.button
    logout.click()
    assert_no_data(at.run())


def assert_signed_in(at: AppTest) -> None:
    assert not at.exception, [e.message for e in at.exception]
    assert [t.value for t in at.title] == ["Overview"]
    assert at.metric


@pytest.mark.parametrize("email", ["bo@team.example", "ANA@example.com"])
def test_oidc_lets_in_listed_addresses_and_domains(oidc_app, email):
    oidc_app.user = {"is_logged_in": True, "email": email}
    assert_signed_in(oidc_app.run())


@pytest.mark.parametrize(
    "user",
    [{"email": "eve@gmail.com"}, {"email": "bo@sub.team.example"}, {"name": "No Email"},
     {"email": "ana@example.com", "email_verified": False}],
    ids=["other-address", "subdomain", "no-email", "unverified"],
)  # fmt: skip
def test_oidc_refuses_a_signed_in_user_not_on_the_list(oidc_app, user):
    oidc_app.user = {"is_logged_in": True, **user}
    at = oidc_app.run()
    assert_no_data(at)
    assert auth.ALLOWED_EMAILS_ENV in at.error[0].value
    (logout,) = at.button
    assert logout.label == "Log out"


@pytest.mark.parametrize("logged_in", [False, True], ids=["logged-out", "logged-in"])
def test_oidc_off_loopback_without_an_allow_list_lets_no_one_in(oidc_app, monkeypatch, logged_in):
    monkeypatch.delenv(auth.ALLOWED_EMAILS_ENV)
    oidc_app.user = {"is_logged_in": logged_in, "email": "ana@example.com"}
    at = oidc_app.run()
    assert_no_data(at)
    assert auth.ALLOWED_EMAILS_ENV in at.error[0].value
    assert not at.button  # not even a way to log in


def test_oidc_on_loopback_without_an_allow_list_lets_the_provider_decide(oidc_app, monkeypatch):
    monkeypatch.delenv(auth.ALLOWED_EMAILS_ENV)
    real = auth.st.get_option
    monkeypatch.setattr(
        auth.st, "get_option", lambda k: "127.0.0.1" if k == "server.address" else real(k)
    )
    oidc_app.user = {"is_logged_in": True, "email": "eve@gmail.com"}
    assert_signed_in(oidc_app.run())


def test_allow_list_entries():
    allowed = auth.allowed_emails({auth.ALLOWED_EMAILS_ENV: "a@x.org, @Team.Example,,"})
    assert allowed == ["a@x.org", "@team.example"]
    assert auth.email_allowed("A@X.org", allowed)
    assert auth.email_allowed("b@team.example", allowed)
    for email in ("b@x.org", "b@evilteam.example", "b@sub.team.example", "team.example", None):
        assert not auth.email_allowed(email, allowed), email
    assert auth.allowed_emails({}) == []


# --- the real server in headless Chromium -----------------------------------------------------


@pytest.fixture(scope="module")
def gated_server(demo_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`refscope dashboard` on a free 127.0.0.1 port with a password set; always stopped."""
    root = tmp_path_factory.mktemp("gated")
    env = {PASSWORD_ENV: PASSWORD, "HOME": str(root)}
    with run_dashboard(demo_db, root / "dashboard.log", env, cwd=root) as srv:
        yield srv.url
        assert PASSWORD not in srv.log.read_text(errors="replace")


@pytest.fixture
def browser_page() -> Iterator[Page]:
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            p = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
            p.set_default_timeout(RENDER_MS)
            yield p
        finally:
            browser.close()


def settled(page: Page) -> str:
    """The page once its script run has ended: no running indicator and no stale element left
    over from the previous run (a rerun shows them faded until it finishes)."""
    expect(page.locator('[data-testid="stStatusWidget"]')).to_have_count(0, timeout=RENDER_MS)
    expect(page.locator('[data-stale="true"]')).to_have_count(0, timeout=RENDER_MS)
    return page.locator("body").inner_text()


def assert_page_shows_no_data(page: Page) -> None:
    text = settled(page)
    assert "New contacts" not in text
    assert not re.search(r"\d", text), text  # no KPI, date or count of any kind
    for testid in ("stMetric", "stDataFrame", "stSidebarNav", "stSelectbox", "stException"):
        assert page.locator(f'[data-testid="{testid}"]').count() == 0, testid
    assert page.locator(".js-plotly-plot").count() == 0


needs_chromium = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is missing")


@pytest.mark.browser
@needs_chromium
def test_real_server_shows_nothing_before_login_and_the_kpis_after(browser_page, gated_server, con):
    page = browser_page
    page.goto(gated_server)
    password = page.get_by_label("Password", exact=True)
    expect(password).to_be_visible()
    assert_page_shows_no_data(page)

    password.fill("wrong")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text("Wrong password.")).to_be_visible()
    assert_page_shows_no_data(page)

    password.fill(PASSWORD)
    password.press("Enter")
    (last,) = con.execute("SELECT CAST(max(ts) AS DATE) FROM events").fetchone()
    kpis = queries.kpis(con, Filters(last - dt.timedelta(days=27), last))
    expect(kpi(page, "New contacts")).to_have_text(f"{int(kpis['new_contacts'].iloc[0]):,}")
    expect(page.locator(".js-plotly-plot")).to_have_count(2)
    assert PASSWORD not in page.content()

    assert "from=" in page.url
    page.locator('[data-testid="stSidebar"]').get_by_role("button", name="Log out").click()
    expect(password).to_be_visible()
    assert_page_shows_no_data(page)
    expect(page).to_have_url(f"{gated_server}/")  # the filters (data's date range) are gone


@pytest.mark.browser
@needs_chromium
def test_a_deep_link_opened_before_login_opens_its_page_after(browser_page, gated_server):
    page = browser_page
    page.goto(f"{gated_server}/contacts?range=Last+7+days")
    password = page.get_by_label("Password", exact=True)
    expect(password).to_be_visible()
    assert_page_shows_no_data(page)
    password.fill(PASSWORD)
    password.press("Enter")
    expect(page.locator("h1").filter(has_text="Contacts")).to_be_visible()
    expect(page.locator('[data-testid="stDataFrame"]').first).to_be_visible()
    assert "/contacts?" in page.url and "range=Last" in page.url
