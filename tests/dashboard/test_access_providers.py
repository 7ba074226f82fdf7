"""An [auth] section must give st.login a complete provider: client_id, client_secret and
server_metadata_url, in [auth] for one provider or in [auth.<name>] for each. With only
redirect_uri and cookie_secret it used to pass, and the login refscope chose over the password
failed on every attempt."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboard import auth
from ingest import access
from ingest.access import AUTH_ENV, AccessError
from tests.dashboard.screen import APP, TIMEOUT
from tests.dashboard.test_access_login import assert_no_data

SHARED = (
    '[auth]\nredirect_uri = "http://localhost:8501/oauth2callback"\ncookie_secret = "s3cr3t-c"\n'
)
PROVIDER = (
    'client_id = "id-1"\nclient_secret = "s3cr3t-p"\n'
    'server_metadata_url = "https://accounts.example/.well-known/openid-configuration"\n'
)
NEEDS = "client_id, client_secret and server_metadata_url"


def _file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "secrets.toml"
    path.write_text(text)
    return path


def _refusal(path: Path) -> str:
    with pytest.raises(AccessError) as err:
        access.oidc_configured([path])
    message = str(err.value)
    assert str(path) in message and NEEDS in message
    assert "s3cr3t" not in message  # key names only, never a value
    return message


def test_an_auth_section_without_a_provider_is_refused_naming_the_three_keys(tmp_path):
    message = _refusal(_file(tmp_path, SHARED))
    assert "[auth] lacks client_id, client_secret, server_metadata_url" in message
    with pytest.raises(AccessError, match=r"\[auth\] lacks client_id, client_secret"):
        access.serve_access("127.0.0.1", {}, [_file(tmp_path, SHARED)], authlib=True)


def test_a_default_provider_missing_a_key_is_refused_naming_only_that_key(tmp_path):
    text = SHARED + PROVIDER.replace('client_secret = "s3cr3t-p"\n', 'client_secret = ""\n')
    message = _refusal(_file(tmp_path, text))
    assert "[auth] lacks client_secret (" in message


def test_a_named_provider_missing_a_key_is_refused_naming_its_table(tmp_path):
    okta = PROVIDER.replace("server_metadata_url", "metadata_url")
    text = f"{SHARED}[auth.google]\n{PROVIDER}[auth.okta]\n{okta}"
    message = _refusal(_file(tmp_path, text))
    assert "[auth.okta] lacks server_metadata_url (" in message
    assert "auth.google" not in message


@pytest.mark.parametrize(
    "text",
    [
        SHARED + PROVIDER,
        SHARED + PROVIDER + '[auth.client_kwargs]\nprompt = "login"\n',
        f"{SHARED}[auth.google]\n{PROVIDER}[auth.okta]\n{PROVIDER}",
    ],
    ids=["one-provider-in-auth", "one-provider-with-client-kwargs", "two-named-providers"],
)
def test_working_auth_sections_are_the_login(tmp_path, text):
    path = _file(tmp_path, text)
    assert access.oidc_configured([path]) == path
    login = access.serve_access("127.0.0.1", {}, [path], authlib=True)
    assert login.mode == "oidc"


def test_the_app_shows_what_its_auth_section_lacks_and_no_data(monkeypatch, demo_db):
    monkeypatch.setenv("REFSCOPE_DB", str(demo_db))
    monkeypatch.delenv(AUTH_ENV, raising=False)
    monkeypatch.delenv(access.PASSWORD_ENV, raising=False)
    monkeypatch.setattr(auth, "_visitor", lambda: None)
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.secrets["auth"] = {
        "redirect_uri": "http://localhost:8501/oauth2callback",
        "cookie_secret": "s3cr3t-c",
        "google": {"client_id": "g"},
    }
    at.run()
    assert_no_data(at)
    (error,) = at.error
    assert "[auth.google] lacks client_secret, server_metadata_url" in error.value
    assert not at.button  # no login that cannot work
