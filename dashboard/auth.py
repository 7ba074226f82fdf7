"""The dashboard's login gate: Streamlit's OIDC login, or the REFSCOPE_DASHBOARD_PASSWORD password.

streamlit_app.py calls require_login() before anything reads the database: until the session is
logged in it draws only the login screen and stops the script. Decisions live in ingest.access,
except which of the people an OIDC provider signs in may enter (the allow-list below).
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from time import sleep

import streamlit as st
from streamlit.navigation.page import StreamlitPage

from dashboard.markdown_text import literal
from ingest import access

LOGGED_IN = "refscope_logged_in"  # session_state keys: per browser session, never shared
FAILURES = "refscope_login_failures"
ALLOWED_EMAILS_ENV = access.ALLOWED_EMAILS_ENV


class FailureCount:
    """Wrong passwords in a row in every session of this process (a right one resets it), and
    the lock under which one password at a time is compared."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.count = 0


# Shared by every session: a guesser who opens a new session does not start the delays over.
FAILURES_IN_PROCESS = FailureCount()
# Taken by the first session to print the Authlib line and never released: a lock taken without
# waiting is taken once, however many sessions' script threads get there at the same time.
AUTHLIB_SAID = threading.Lock()


def require_login(pages: Sequence[StreamlitPage]) -> None:
    """Return once this session may see data; otherwise draw the login screen and stop.

    The login screen keeps `pages` hidden but known, so the page in the URL opens after login.
    """
    address = st.get_option("server.address") or ""
    headers = _headers()
    try:
        mode = access.app_mode(os.environ, address, _visitor(), headers, oidc=_oidc_configured())
    except access.AccessError as exc:  # a misconfigured server shows nothing rather than all
        _login_screen(pages)
        st.error(str(exc))
        st.stop()
    if mode == "oidc":
        _oidc(pages, address, headers)
    elif mode == "password":
        _password(pages, os.environ[access.PASSWORD_ENV])


def _oidc_configured() -> bool:
    """Whether the secrets Streamlit reads configure its OIDC login (st.login), and Authlib,
    which it needs, is installed: then it is the login, as `refscope dashboard` chooses it.
    AccessError when a secrets file is there but Streamlit cannot read it."""
    try:
        section = st.secrets.get("auth")
    except FileNotFoundError as exc:  # no secrets file, or one Streamlit cannot read
        if any(Path(p).exists() for p in st.get_option("secrets.files")):
            raise access.AccessError(
                f"Streamlit cannot read its secrets, where the dashboard's login may be set "
                f"(fix the file, then reload the page): {literal(exc)}"  # its path as given
            ) from None
        return False
    if not access.oidc_section(section):
        return False
    if access.authlib_installed():
        return True
    _say_authlib_missing()
    return False


def _say_authlib_missing() -> None:
    """Once per process, on its console (stderr), the line `refscope dashboard` prints when it
    falls back for want of Authlib; an app the command started (AUTH_ENV set) has said it."""
    if access.AUTH_ENV in os.environ or not AUTHLIB_SAID.acquire(blocking=False):
        return
    password = bool(os.environ.get(access.PASSWORD_ENV))
    login = f"password from {access.PASSWORD_ENV}" if password else "none, this machine only"
    try:
        where = access.oidc_configured(Path(p) for p in st.get_option("secrets.files"))
    except access.AccessError:  # read by Streamlit, so not expected; the line still helps
        where = None
    missing = access.authlib_missing(where or "the secrets Streamlit reads")
    print(f"refscope dashboard (login: {login}; {missing})", file=sys.stderr, flush=True)


def _visitor() -> str | None:
    """The address this session came from; None on this machine (as Streamlit reports it)."""
    return st.context.ip_address


def _headers() -> list[tuple[str, str]]:
    """The headers of this session's request (its WebSocket handshake), repeats kept: where a
    reverse proxy names whom it forwards."""
    headers = st.context.headers
    return [(name, value) for name in headers for value in headers.get_all(name)]


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
        if _password_accepted(given, expected):
            st.session_state[LOGGED_IN] = True
            st.rerun()
        st.error("Wrong password.")
    st.stop()


def _password_accepted(given: str, expected: str) -> bool:
    """Compare one password; after a wrong one, wait as long as the longer run of failures,
    this session's or the process's, earns (access.retry_delay).

    The wait holds the process-wide lock, so no session's password is compared meanwhile: more
    sessions, or dropping a slow answer to try again, give a guesser no more tries. Nothing
    between the comparison and the end of its wait is a Streamlit call: each is a point where
    Streamlit ends the run for a newer submit (one sent while this session waited for the
    lock), which would skip the wait and give a guesser a try for free.
    """
    mine = st.session_state.get(FAILURES, 0)
    shared = FAILURES_IN_PROCESS
    with shared.lock:
        accepted = access.password_matches(given, expected)
        if accepted:
            shared.count = mine = 0
        else:
            shared.count += 1
            mine += 1
            sleep(access.retry_delay(max(mine, shared.count)))
    st.session_state[FAILURES] = mine
    return accepted


def _log_out() -> None:
    st.session_state[LOGGED_IN] = False
    st.query_params.clear()  # the filters in the URL say where the data starts and ends


def allowed_emails(environ: Mapping[str, str]) -> list[str]:
    """REFSCOPE_DASHBOARD_ALLOWED_EMAILS as a list: addresses and @domain entries, lower case."""
    entries = environ.get(ALLOWED_EMAILS_ENV, "").split(",")
    return [e.strip().lower() for e in entries if e.strip()]


def email_allowed(email: object, allowed: Sequence[str]) -> bool:
    """Whether an address is on the list: listed itself, or at a listed @domain (exactly that
    domain, not its subdomains)."""
    if not isinstance(email, str) or "@" not in email:
        return False
    email = email.strip().lower()
    return any(email == a or (a.startswith("@") and email.endswith(a)) for a in allowed)


def _oidc(pages: Sequence[StreamlitPage], address: str, headers: list[tuple[str, str]]) -> None:
    allowed = allowed_emails(os.environ)
    refusal = access.oidc_refusal(address, headers, bool(allowed))
    if refusal:
        # A provider such as Google signs in anyone with an account: beyond this machine, the
        # list of who may enter is what keeps the data in the team.
        _login_screen(pages)
        st.error(refusal)
        st.stop()
    if st.user.is_logged_in:
        who = st.user.get("email") or st.user.get("name")
        if allowed and not _user_allowed(allowed):
            _refused(pages, who)
        if who:
            st.sidebar.caption(f"Signed in as {literal(who)}")
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


def _user_allowed(allowed: Sequence[str]) -> bool:
    """The signed-in user's email is on the list, and not one the provider says is unverified
    (an unverified address proves nothing about who signed in)."""
    return not email_unverified(st.user.get("email_verified")) and email_allowed(
        st.user.get("email"), allowed
    )


def email_unverified(claim: object) -> bool:
    """Whether the provider's email_verified claim says no: false, or the string "false" that
    some providers send. Absent says nothing."""
    if isinstance(claim, str):
        return claim.strip().lower() == "false"
    return claim is False


def _refused(pages: Sequence[StreamlitPage], who: object) -> None:
    """Stop a signed-in user not on the allow-list, with a way to sign in as someone else."""
    _login_screen(pages)
    shown = literal(who) if who else "This account"  # a name from the provider, as given
    st.error(f"{shown} may not open this dashboard: it is not in {ALLOWED_EMAILS_ENV}.")
    if st.button("Log out"):
        st.logout()
        st.rerun()
    st.stop()


def _providers() -> list[str | None]:
    """None for settings directly in [auth], else the names of its [auth.<name>] tables."""
    try:
        auth = st.secrets.get("auth") or {}
    except FileNotFoundError:  # no secrets.toml: st.login will say what it misses
        auth = {}
    return list(access.oidc_providers(auth))
