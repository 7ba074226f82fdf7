"""The dashboard's login gate: Streamlit's OIDC login, or the REFSCOPE_DASHBOARD_PASSWORD password.

streamlit_app.py calls require_login() before anything reads the database: until the session is
logged in it draws only the login screen and stops the script. Decisions live in ingest.access.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from time import sleep

import streamlit as st
from streamlit.navigation.page import StreamlitPage

from ingest import access

LOGGED_IN = "refscope_logged_in"  # session_state keys: per browser session, never shared
FAILURES = "refscope_login_failures"


def require_login(pages: Sequence[StreamlitPage]) -> None:
    """Return once this session may see data; otherwise draw the login screen and stop.

    The login screen keeps `pages` hidden but known, so the page in the URL opens after login.
    """
    try:
        mode = access.app_mode(os.environ)
    except access.AccessError as exc:  # a misconfigured server shows nothing rather than all
        _login_screen(pages)
        st.error(str(exc))
        st.stop()
    if mode == "oidc":
        _oidc(pages)
    elif mode == "password":
        _password(pages, os.environ[access.PASSWORD_ENV])


def _login_screen(pages: Sequence[StreamlitPage]) -> None:
    st.navigation(list(pages), position="hidden")  # resolves the URL's page; never runs it
    st.title("refscope")


def _password(pages: Sequence[StreamlitPage], expected: str) -> None:
    if st.session_state.get(LOGGED_IN):
        st.sidebar.button("Log out", on_click=_log_out)
        return
    _login_screen(pages)
    with st.form("login", clear_on_submit=True, enter_to_submit=True):
        given = st.text_input("Password", type="password")
        submitted = st.form_submit_button("Log in")
    if submitted:
        if access.password_matches(given, expected):
            st.session_state[LOGGED_IN] = True
            st.session_state[FAILURES] = 0
            st.rerun()
        failures = st.session_state.get(FAILURES, 0) + 1
        st.session_state[FAILURES] = failures
        sleep(access.retry_delay(failures))  # holds this session's script thread only
        st.error("Wrong password.")
    st.stop()


def _log_out() -> None:
    st.session_state[LOGGED_IN] = False
    st.query_params.clear()  # the filters in the URL say where the data starts and ends


def _oidc(pages: Sequence[StreamlitPage]) -> None:
    if st.user.is_logged_in:
        who = st.user.get("email") or st.user.get("name")
        if who:
            st.sidebar.caption(f"Signed in as {who}")
        if st.sidebar.button("Log out"):
            st.logout()  # clears st.user at once; the rerun draws the login screen
            st.rerun()
        return
    _login_screen(pages)
    st.write("Sign in to see the dashboard.")
    for provider in _providers():
        label = "Log in" if provider is None else f"Log in with {provider}"
        if st.button(label, key=f"login-{provider or 'default'}"):
            st.login(provider)
    st.stop()


def _providers() -> list[str | None]:
    """None for settings directly in [auth], else the names of its [auth.<name>] tables."""
    try:
        auth = st.secrets.get("auth") or {}
    except FileNotFoundError:  # no secrets.toml: st.login will say what it misses
        auth = {}
    named = [name for name, value in auth.items() if hasattr(value, "keys")]
    return [None] if "client_id" in auth or not named else sorted(named)
