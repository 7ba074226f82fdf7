"""The dashboard started by hand (`streamlit run dashboard/streamlit_app.py`, no
REFSCOPE_DASHBOARD_AUTH) takes the login `refscope dashboard` would: the OIDC login its secrets
configure, over the password. It used to drop that login and show this machine's browser every
page without one. The real server started so: test_access_by_hand_browser.py."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboard import auth
from ingest import access
from ingest.access import ALLOWED_EMAILS_ENV, AUTH_ENV, PASSWORD_ENV, AccessError
from tests.dashboard.access_setup import PASSWORD, PROVIDER
from tests.dashboard.screen import APP, TIMEOUT
from tests.dashboard.test_access_login import assert_no_data

AUTH = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "c",
    "google": {"client_id": "g", **PROVIDER},
}
BY_HAND = [
    {},
    {AUTH_ENV: "none"},
    {PASSWORD_ENV: PASSWORD},
    {AUTH_ENV: "none", PASSWORD_ENV: PASSWORD},
]
BY_HAND_IDS = ["unset", "none-by-hand", "password-too", "none-and-password"]


@pytest.mark.parametrize("env", BY_HAND, ids=BY_HAND_IDS)
def test_the_app_takes_the_oidc_login_its_secrets_configure_as_the_command_does(env):
    assert access.app_mode(env, oidc=True) == "oidc"
    # Off loopback too: the OIDC login, whose allow-list decides who enters (oidc_refusal).
    assert access.app_mode(env, "0.0.0.0", "10.0.0.9", oidc=True) == "oidc"
    assert access.app_mode(env, oidc=False) == ("password" if PASSWORD_ENV in env else "none")


def test_a_password_asked_for_by_name_is_the_login_with_oidc_configured_too():
    env = {AUTH_ENV: "password", PASSWORD_ENV: PASSWORD}
    assert access.app_mode(env, oidc=True) == "password"


def test_the_app_refuses_an_allow_list_entry_that_matches_no_address_naming_it():
    env = {ALLOWED_EMAILS_ENV: "ana@example.com, example.com"}
    with pytest.raises(AccessError, match=f"{ALLOWED_EMAILS_ENV}: 'example.com' is neither"):
        access.app_mode(env, oidc=True)
    with pytest.raises(AccessError, match="'example.com' is neither"):
        access.app_mode({**env, AUTH_ENV: "oidc"})
    assert access.app_mode(env) == "none"  # no OIDC login: the list is not read


@pytest.fixture
def by_hand(monkeypatch: pytest.MonkeyPatch, demo_db: Path) -> AppTest:
    """The app as `streamlit run` starts it, its secrets configuring Streamlit's OIDC login."""
    monkeypatch.delenv(AUTH_ENV)
    monkeypatch.setenv("REFSCOPE_DB", str(demo_db))
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.secrets["auth"] = dict(AUTH)
    at.user = {"is_logged_in": False}
    return at


def listening_on(monkeypatch: pytest.MonkeyPatch, address: str) -> None:
    real = auth.st.get_option
    monkeypatch.setattr(
        auth.st, "get_option", lambda k: address if k == "server.address" else real(k)
    )


@pytest.mark.parametrize("env", BY_HAND, ids=BY_HAND_IDS)
def test_by_hand_this_machine_gets_the_oidc_login_and_no_data(by_hand, monkeypatch, env):
    """`streamlit run --server.address 127.0.0.1`: this machine's browser saw every page."""
    listening_on(monkeypatch, "127.0.0.1")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    at = by_hand.run()
    assert_no_data(at)
    assert [b.label for b in at.button] == ["Log in with google"]
    assert not at.text_input and not at.error


def test_by_hand_a_listed_user_signed_in_sees_the_dashboard(by_hand, monkeypatch):
    monkeypatch.setenv(ALLOWED_EMAILS_ENV, "@example.com")
    by_hand.user = {"is_logged_in": True, "email": "ana@example.com"}
    at = by_hand.run()
    assert not at.exception, [e.message for e in at.exception]
    assert [t.value for t in at.title] == ["Overview"]
    assert at.metric


def test_by_hand_on_every_interface_another_machine_gets_the_login_of_the_allow_list(
    by_hand, monkeypatch
):
    """`streamlit run` serves every interface: a visitor from elsewhere was refused as if no
    login were set; the OIDC login is offered when the allow-list is set, and refused, naming
    the list, when it is not."""
    listening_on(monkeypatch, "")
    monkeypatch.setattr(auth, "_visitor", lambda: "192.168.1.30")
    monkeypatch.setenv(ALLOWED_EMAILS_ENV, "@example.com")
    at = by_hand.run()
    assert_no_data(at)
    assert [b.label for b in at.button] == ["Log in with google"] and not at.error
    monkeypatch.delenv(ALLOWED_EMAILS_ENV)
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.secrets["auth"] = dict(AUTH)
    at.user = {"is_logged_in": True, "email": "ana@example.com"}
    at.run()
    assert_no_data(at)
    assert ALLOWED_EMAILS_ENV in at.error[0].value and not at.button


def test_by_hand_an_allow_list_entry_that_matches_no_address_shows_its_error(by_hand, monkeypatch):
    monkeypatch.setenv(ALLOWED_EMAILS_ENV, "example.com")
    by_hand.user = {"is_logged_in": True, "email": "ana@example.com"}
    at = by_hand.run()
    assert_no_data(at)
    assert "'example.com' is neither" in at.error[0].value and not at.button


def test_by_hand_without_authlib_the_login_is_the_one_the_command_falls_back_to(
    by_hand, monkeypatch
):
    """As `refscope dashboard`: st.login needs Authlib, so without it the password (or on
    this machine none) is the login."""
    monkeypatch.setattr(access, "authlib_installed", lambda: False)
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    at = by_hand.run()
    assert_no_data(at)
    assert [t.label for t in at.text_input] == ["Password"]


def test_by_hand_without_authlib_the_console_says_so_once_as_the_command_does(
    by_hand, monkeypatch, capsys
):
    """`refscope dashboard` prints which login it fell back to and why; started by hand, the
    app fell back silently. Now it says so on its console, once per process, not per page."""
    monkeypatch.setattr(auth, "AUTHLIB_SAID", threading.Lock())
    monkeypatch.setattr(access, "authlib_installed", lambda: False)
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    by_hand.run()
    by_hand.run()
    second = AppTest.from_file(str(APP), default_timeout=TIMEOUT)  # another browser session
    second.secrets["auth"] = dict(AUTH)
    second.run()
    err = capsys.readouterr().err
    said = f"(login: password from {PASSWORD_ENV}; the secrets Streamlit reads has [auth] but "
    upgrade = "st.login needs Authlib 1.3.2 or later: pip install --upgrade 'Authlib>=1.3.2')\n"
    assert err.count(said + upgrade) == 1, err
    assert PASSWORD not in err


def test_started_by_the_command_the_app_leaves_the_authlib_line_to_it(by_hand, monkeypatch, capsys):
    monkeypatch.setattr(auth, "AUTHLIB_SAID", threading.Lock())
    monkeypatch.setattr(access, "authlib_installed", lambda: False)
    monkeypatch.setenv(AUTH_ENV, "none")  # as `refscope dashboard` sets it, having said why
    by_hand.run()
    assert "Authlib" not in capsys.readouterr().err


def test_sessions_starting_at_once_say_the_authlib_line_once(monkeypatch, capsys):
    """Each browser session runs the script in a thread of its own: eight reaching the line at
    the same moment print it once."""
    monkeypatch.setattr(auth, "AUTHLIB_SAID", threading.Lock())
    monkeypatch.delenv(AUTH_ENV, raising=False)
    gate = threading.Barrier(8)

    def session() -> None:
        gate.wait()
        auth._say_authlib_missing()

    threads = [threading.Thread(target=session) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert capsys.readouterr().err.count("st.login needs Authlib") == 1
