"""Dashboard access control: the login gate in AppTest, by password (a wrong one delayed, more
each time) and by OpenID Connect (an allow-list of addresses and domains)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from streamlit.runtime.scriptrunner_utils.script_requests import RerunData
from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx
from streamlit.testing.v1 import AppTest

from dashboard import auth, queries, store
from dashboard.filters import Filters
from ingest.access import AUTH_ENV, PASSWORD_ENV
from tests.dashboard.access_setup import PASSWORD, PROVIDER
from tests.dashboard.screen import shown

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "dashboard" / "streamlit_app.py"
TIMEOUT = 60  # seconds per AppTest run; the first imports plotly and pandas


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


class NewerSubmitWhileWaiting:
    """The process-wide lock, and the browser's next submit arriving while this session waits
    its turn for it (as when another session's wrong password holds it): Streamlit then ends
    the run at its next call (a yield point) to start the newer one."""

    def __init__(self) -> None:
        self.lock = auth.FAILURES_IN_PROCESS.lock

    def __enter__(self) -> None:
        ctx = get_script_run_ctx()
        assert ctx is not None and ctx.script_requests is not None
        ctx.script_requests.request_rerun(RerunData())
        self.lock.acquire()

    def __exit__(self, *exc: object) -> None:
        self.lock.release()


def test_a_newer_submit_does_not_skip_the_wait_of_a_wrong_password(gated, delays, monkeypatch):
    at = gated.run()
    monkeypatch.setattr(auth.FAILURES_IN_PROCESS, "lock", NewerSubmitWhileWaiting())
    log_in(at, "wrong")
    assert_no_data(at)
    assert delays == [1]
    assert auth.FAILURES_IN_PROCESS.count == 1


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


@pytest.mark.parametrize("auth_env", [None, "none"], ids=["no-auth-env", "auth-none-by-hand"])
@pytest.mark.parametrize("address", [None, "0.0.0.0", "192.168.1.20"], ids=["unset", "any", "lan"])
def test_an_app_off_loopback_without_a_login_refuses_to_show_data_however_started(
    monkeypatch, demo_db, address, auth_env
):
    """`streamlit run dashboard/streamlit_app.py` with no password, and no AUTH_ENV or one set
    to none by hand: Streamlit serves every interface by default, so a visitor from another
    machine gets an error, no data; this machine's own browser sees the dashboard."""
    if auth_env is None:
        monkeypatch.delenv(AUTH_ENV)
    else:
        monkeypatch.setenv(AUTH_ENV, auth_env)
    monkeypatch.setenv("REFSCOPE_DB", str(demo_db))
    real = auth.st.get_option
    monkeypatch.setattr(
        auth.st, "get_option", lambda k: address if k == "server.address" else real(k)
    )
    monkeypatch.setattr(auth, "_visitor", lambda: "192.168.1.30")
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()
    assert_no_data(at)
    assert "without a login" in at.error[0].value and PASSWORD_ENV in at.error[0].value
    monkeypatch.setattr(auth, "_visitor", lambda: None)  # Streamlit's word for this machine
    assert [t.value for t in AppTest.from_file(str(APP), default_timeout=TIMEOUT).run().title] == [
        "Overview"
    ]
    monkeypatch.setattr(auth, "_visitor", lambda: "192.168.1.30")
    monkeypatch.setattr(
        auth.st, "get_option", lambda k: "127.0.0.1" if k == "server.address" else real(k)
    )
    assert [t.value for t in AppTest.from_file(str(APP), default_timeout=TIMEOUT).run().title] == [
        "Overview"
    ]


@pytest.fixture
def oidc_app(monkeypatch: pytest.MonkeyPatch, demo_db: Path) -> AppTest:
    monkeypatch.setenv("REFSCOPE_DB", str(demo_db))
    monkeypatch.setenv(AUTH_ENV, "oidc")
    monkeypatch.setenv(auth.ALLOWED_EMAILS_ENV, " Ana@Example.com, @team.example ")
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.secrets["auth"] = {
        "redirect_uri": "http://localhost:8501/oauth2callback",
        "cookie_secret": "c",
        "google": {"client_id": "g", **PROVIDER},
        "okta": {"client_id": "o", **PROVIDER},
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
    assert "Signed in as ana@example.com" in [shown(c.value) for c in at.sidebar.caption]
    (logout,) = at.sidebar.button
    logout.click()
    assert_no_data(at.run())


def assert_signed_in(at: AppTest) -> None:
    assert not at.exception, [e.message for e in at.exception]
    assert [t.value for t in at.title] == ["Overview"]
    assert at.metric


@pytest.mark.parametrize("email", ["bo@team.example", "ANA@example.com"])
@pytest.mark.parametrize("verified", [{}, {"email_verified": True}, {"email_verified": "true"}],
                         ids=["claim-absent", "verified", "verified-string"])  # fmt: skip
def test_oidc_lets_in_listed_addresses_and_domains(oidc_app, email, verified):
    oidc_app.user = {"is_logged_in": True, "email": email, **verified}
    assert_signed_in(oidc_app.run())


@pytest.mark.parametrize(
    "user",
    [{"email": "eve@gmail.com"}, {"email": "bo@sub.team.example"}, {"name": "No Email"},
     {"email": "ana@example.com", "email_verified": False},
     # Some providers send the claim as a string.
     {"email": "ana@example.com", "email_verified": "false"},
     {"email": "ana@example.com", "email_verified": " False "}],
    ids=["other-address", "subdomain", "no-email", "unverified", "unverified-string",
         "unverified-string-spaced"],
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


def test_oidc_a_signed_in_name_is_shown_as_given(oidc_app):
    """ "Signed in as" put the provider's address into markdown: `_ana_@team.example` showed
    "ana" in italics. It is shown as given."""
    oidc_app.user = {"is_logged_in": True, "email": "_ana_@team.example"}
    at = oidc_app.run()
    assert not at.exception, [e.message for e in at.exception]
    (caption,) = [c.value for c in at.sidebar.caption if "Signed in as" in c.value]
    assert shown(caption) == "Signed in as _ana_@team.example" and "_ana_" not in caption
