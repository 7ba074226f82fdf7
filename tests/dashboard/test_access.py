"""Dashboard access control: the decisions in ingest.access, and `refscope dashboard` refusing
a public address without a login (never exec'ing). The login gate in AppTest:
test_access_login.py; the real server in headless Chromium: test_access_browser.py."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from dashboard import auth
from ingest import access
from ingest.access import AUTH_ENV, PASSWORD_ENV, AccessError
from ingest.cli import cli
from tests.dashboard.access_setup import PASSWORD

# One provider set directly in [auth]: all that st.login needs (test_access_providers.py).
AUTH_TOML = (
    '[auth]\nredirect_uri = "http://localhost:8501/oauth2callback"\ncookie_secret = "c"\n'
    'client_id = "x"\nclient_secret = "y"\n'
    'server_metadata_url = "https://accounts.example/.well-known/openid-configuration"\n'
)


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
    path.write_text(AUTH_TOML)
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


@pytest.mark.parametrize(
    "listed", ["example.com", "ana@example.com, team.example", "ana", "@", "ana@@example.com"]
)
def test_an_allow_list_entry_that_matches_no_address_is_refused_naming_it(auth_toml, listed):
    """An entry the app could never match (a domain without its @) would refuse everyone after
    they signed in: the CLI says which entry, on loopback too."""
    env = {access.ALLOWED_EMAILS_ENV: listed}
    bad = listed.split(",")[-1].strip()
    for host in ("0.0.0.0", "127.0.0.1"):
        with pytest.raises(AccessError, match=re.escape(repr(bad))):
            access.serve_access(host, env, [auth_toml], authlib=True)


@pytest.mark.parametrize("listed", ["ana@example.com", " @Example.com , bo@team.example.org "])
def test_addresses_and_at_domains_are_accepted(auth_toml, listed):
    env = {access.ALLOWED_EMAILS_ENV: listed}
    assert access.serve_access("0.0.0.0", env, [auth_toml], authlib=True).mode == "oidc"


def test_auth_section_without_authlib_says_to_install_it(auth_toml):
    with pytest.raises(AccessError, match="Authlib"):
        access.serve_access("0.0.0.0", {}, [auth_toml], authlib=False)


def test_an_authlib_too_old_for_st_login_is_told_to_upgrade(auth_toml, monkeypatch):
    """`pip install Authlib`, as the line said, leaves an older Authlib where it is."""
    monkeypatch.setattr(access.metadata, "version", lambda name: "1.0.0")
    login = access.serve_access("127.0.0.1", {}, [auth_toml])
    assert (login.mode, login.why) == (
        "none",
        f"none, loopback only; {auth_toml} has [auth] but st.login needs Authlib 1.3.2 or "
        "later: pip install --upgrade 'Authlib>=1.3.2'",
    )


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


@pytest.mark.parametrize(
    "env", [{}, {AUTH_ENV: "none"}, {AUTH_ENV: " None "}], ids=["unset", "none", "none-spaced"]
)
@pytest.mark.parametrize("address", ["", "0.0.0.0", "::", "10.0.0.5"])
def test_an_app_without_a_login_shows_another_machine_nothing_off_loopback(env, address):
    """However it was started: AUTH_ENV none, which anyone can set by hand for `streamlit run`
    on every interface, waives nothing."""
    visitor = "10.0.0.9"  # a session from another machine
    with pytest.raises(AccessError, match="another machine without a login"):
        access.app_mode(env, address, visitor)
    assert access.app_mode({**env, PASSWORD_ENV: PASSWORD}, address, visitor) == "password"
    # This machine's own browser (Streamlit says None for it) sees what the command shows.
    assert access.app_mode(env, address, None) == access.app_mode(env, address, "::1") == "none"
    assert access.app_mode(env, "127.0.0.1", visitor) == access.app_mode(env, "::1") == "none"


@pytest.mark.parametrize("end", ["\r", "\n", "\r\n", "\nmore"], ids=["cr", "lf", "crlf", "inside"])
def test_a_password_with_a_line_break_is_refused_without_showing_it(tmp_path, end):
    """A browser's password field drops line breaks, so no login could ever match: the
    dashboard started, and met every attempt with "Wrong password." and a longer wait."""
    env = {PASSWORD_ENV: PASSWORD + end}
    for refuse in (
        lambda: access.serve_access("0.0.0.0", env, [tmp_path / "missing.toml"]),
        lambda: access.serve_access("127.0.0.1", env, [tmp_path / "missing.toml"]),
        lambda: access.app_mode(env),
        lambda: access.app_mode({**env, AUTH_ENV: "password"}),
    ):
        with pytest.raises(AccessError, match=f"{PASSWORD_ENV} holds a line break") as exc:
            refuse()
        assert PASSWORD not in str(exc.value) and PASSWORD[:4] not in str(exc.value)


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


def test_dashboard_refuses_a_password_with_a_line_break_before_starting(
    runner, tmp_path, execs, monkeypatch
):
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD + "\r")
    result = dashboard_cmd(runner, tmp_path, "0.0.0.0")
    assert result.exit_code == 1 and execs == []
    assert f"{PASSWORD_ENV} holds a line break" in result.output
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


@pytest.mark.parametrize("blank", [" ", "   ", "\t"], ids=["space", "spaces", "tab"])
def test_a_password_of_blanks_alone_is_refused(runner, tmp_path, execs, monkeypatch, blank):
    """A `.env` line `REFSCOPE_DASHBOARD_PASSWORD= ` served the dashboard on any address
    behind a password of one space, which anyone could type: it is a mistake, not a login."""
    env = {PASSWORD_ENV: blank}
    with pytest.raises(AccessError, match=f"{PASSWORD_ENV} is blank"):
        access.serve_access("127.0.0.1", env, [tmp_path / "missing.toml"])
    with pytest.raises(AccessError, match=f"{PASSWORD_ENV} is blank"):
        access.app_mode(env)
    monkeypatch.setenv(PASSWORD_ENV, blank)
    result = dashboard_cmd(runner, tmp_path, "0.0.0.0")
    assert result.exit_code == 1 and execs == [], result.output
    assert f"Error: {PASSWORD_ENV} is blank" in result.output
