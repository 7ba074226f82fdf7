"""A reverse proxy on the same machine connects from loopback whoever it forwards: the headers
it adds (Forwarded, X-Forwarded-For, X-Real-IP) decide whether a session counts as one from
another machine. The decision in ingest.access; the gate in AppTest; the real server behind a
real proxy in headless Chromium: test_access_proxy_browser.py."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboard import auth
from ingest import access
from ingest.access import AUTH_ENV, PASSWORD_ENV, AccessError
from tests.dashboard.access_setup import PASSWORD, PROVIDER
from tests.dashboard.test_access_login import APP, TIMEOUT, assert_no_data

ELSEWHERE = {
    "xff": [("X-Forwarded-For", "203.0.113.7")],
    "xff-lower-case": [("x-forwarded-for", "203.0.113.7")],
    "xff-capitals": [("X-FORWARDED-FOR", "203.0.113.7")],
    "xff-with-port": [("X-Forwarded-For", "203.0.113.7:51234")],
    "real-ip": [("X-Real-IP", "203.0.113.7")],
    "real-ip-ipv6": [("X-Real-IP", "2001:db8::7")],
    "forwarded": [("Forwarded", "for=203.0.113.7;proto=https;by=127.0.0.1")],
    "forwarded-key-capitals": [("Forwarded", "For=203.0.113.7")],
    "forwarded-quoted-ipv6": [("Forwarded", 'for="[2001:db8:cafe::17]:4711"')],
    "forwarded-quoted-ipv4-port": [("Forwarded", 'for="203.0.113.7:4711"')],
    "forwarded-obfuscated": [("Forwarded", "for=_hidden")],
    "forwarded-unknown": [("Forwarded", "for=unknown")],
    "forwarded-no-for": [("Forwarded", "proto=https;host=dash.example.com")],
    "xff-empty": [("X-Forwarded-For", "")],
    "xff-empty-hop": [("X-Forwarded-For", "127.0.0.1, , ::1")],
    # A client's own header claims loopback; the proxy appends who really connected.
    "xff-spoofed-then-real": [("X-Forwarded-For", "127.0.0.1, 203.0.113.7")],
    "xff-real-then-loopback-hop": [("X-Forwarded-For", "203.0.113.7, 127.0.0.1")],
    "forwarded-spoofed-later-hop": [("Forwarded", "for=203.0.113.7, for=127.0.0.1")],
    "forwarded-spoofed-ipv6-hop": [("Forwarded", 'for=203.0.113.7, for="[::1]"')],
    "xff-repeated": [("X-Forwarded-For", "127.0.0.1"), ("X-Forwarded-For", "203.0.113.7")],
    "loopback-xff-remote-real-ip": [("X-Forwarded-For", "::1"), ("X-Real-IP", "203.0.113.7")],
    # A comma or semicolon inside quotes does not split the node.
    "forwarded-quoted-separators": [("Forwarded", 'for="127.0.0.1,;x";proto=http')],
    "forwarded-two-for-in-one-element": [("Forwarded", "for=127.0.0.1;for=203.0.113.7")],
    "ipv4-mapped": [("X-Forwarded-For", "::ffff:203.0.113.7")],
}
THIS_MACHINE = {
    "no-headers": [],
    "other-headers": [("Host", "dash.example.com"), ("X-Forwarded-Proto", "https")],
    "xff-loopback": [("X-Forwarded-For", "127.0.0.1")],
    "xff-several-loopback-hops": [("x-forwarded-for", "127.0.0.1, 127.0.0.2:80, ::1")],
    "xff-ipv6-bracketed": [("X-Forwarded-For", "[::1]:5173")],
    "real-ip-ipv6": [("X-Real-IP", "::1")],
    "forwarded-quoted-ipv6": [("FORWARDED", 'for="[::1]:4711";proto=http')],
    "forwarded-several-hops": [("Forwarded", 'for=127.0.0.1, FOR="[::1]";by=127.0.0.1')],
    "all-three": [
        ("Forwarded", "for=127.0.0.1"),
        ("X-Forwarded-For", "127.0.0.1"),
        ("X-Real-IP", "127.0.0.1"),
    ],
}


@pytest.mark.parametrize("headers", ELSEWHERE.values(), ids=ELSEWHERE.keys())
def test_proxy_headers_naming_any_address_beyond_loopback_mean_another_machine(headers):
    assert access.forwarded_from_elsewhere(headers)


@pytest.mark.parametrize("headers", THIS_MACHINE.values(), ids=THIS_MACHINE.keys())
def test_no_proxy_headers_or_only_loopback_hops_mean_this_machine(headers):
    assert not access.forwarded_from_elsewhere(headers)


def test_forwarded_addresses_are_read_hop_by_hop():
    headers = [
        ("Forwarded", 'for="[2001:db8::1]:80";proto=https, for="_x", proto=http'),
        ("X-Forwarded-For", " 198.51.100.2 ,203.0.113.7:8080"),
        ("X-Real-IP", "[::1]"),
    ]
    assert access.forwarded_addresses(headers) == [
        "2001:db8::1", "_x", "", "198.51.100.2", "203.0.113.7", "::1"
    ]  # fmt: skip


@pytest.mark.parametrize("auth_env", ["none", ""], ids=["cli-chose-none", "streamlit-run"])
@pytest.mark.parametrize("address", ["127.0.0.1", "::1", "0.0.0.0"])
def test_a_session_forwarded_from_elsewhere_needs_a_login(auth_env, address):
    env = {AUTH_ENV: auth_env} if auth_env else {}
    forwarded = ELSEWHERE["xff"]
    with pytest.raises(AccessError, match="reverse proxy") as refused:
        access.app_mode(env, address, None, forwarded)
    assert PASSWORD_ENV in str(refused.value) and "[auth]" in str(refused.value)
    assert access.app_mode({**env, PASSWORD_ENV: PASSWORD}, address, None, forwarded) == "password"
    assert access.app_mode({AUTH_ENV: "oidc"}, address, None, forwarded) == "oidc"


def test_a_session_forwarded_from_this_machine_needs_none_on_loopback():
    loopback = THIS_MACHINE["forwarded-several-hops"]
    assert access.app_mode({AUTH_ENV: "none"}, "127.0.0.1", None, loopback) == "none"
    assert access.app_mode({}, "127.0.0.1", None, loopback) == "none"


LOOPBACK_HOPS = {k: v for k, v in THIS_MACHINE.items() if access.forwarded_addresses(v)}


@pytest.mark.parametrize("headers", LOOPBACK_HOPS.values(), ids=LOOPBACK_HOPS.keys())
@pytest.mark.parametrize("address", ["0.0.0.0", "", "::", "192.168.1.20"])
def test_off_loopback_a_proxy_header_leaves_no_login_free_view(address, headers):
    """Streamlit's server takes the visitor's address from X-Forwarded-For when it trusts the
    connection's (FORWARDED_ALLOW_IPS=* trusts every client's): off loopback a loopback visitor
    with a proxy header may be another machine claiming 127.0.0.1."""
    for env in ({}, {AUTH_ENV: "none"}):
        with pytest.raises(AccessError, match="another machine without a login"):
            access.app_mode(env, address, None, headers)
        assert access.app_mode(env, address, None, [("Host", "localhost:8501")]) == "none"
        assert access.app_mode(env, "127.0.0.1", None, headers) == "none"
    assert access.app_mode({PASSWORD_ENV: PASSWORD}, address, None, headers) == "password"


@pytest.fixture
def open_app(monkeypatch: pytest.MonkeyPatch, demo_db: Path) -> AppTest:
    """The app as `refscope dashboard` starts it on 127.0.0.1: no login."""
    monkeypatch.setenv("REFSCOPE_DB", str(demo_db))
    monkeypatch.setenv(AUTH_ENV, "none")
    monkeypatch.delenv(PASSWORD_ENV, raising=False)
    real = auth.st.get_option  # AppTest has no server.address of its own
    monkeypatch.setattr(
        auth.st, "get_option", lambda k: "127.0.0.1" if k == "server.address" else real(k)
    )
    monkeypatch.setattr(auth, "_visitor", lambda: None)  # the proxy connects from loopback
    return AppTest.from_file(str(APP), default_timeout=TIMEOUT)


def test_the_app_shows_a_proxied_visitor_from_elsewhere_only_what_to_set(open_app, monkeypatch):
    monkeypatch.setattr(auth, "_headers", lambda: ELSEWHERE["xff-spoofed-then-real"])
    at = open_app.run()
    assert_no_data(at)
    assert "reverse proxy" in at.error[0].value and PASSWORD_ENV in at.error[0].value
    monkeypatch.setattr(auth, "_headers", lambda: THIS_MACHINE["xff-loopback"])
    assert [t.value for t in open_app.run().title] == ["Overview"]


PUBLIC_NAME = [("Host", "dash.example.com"), ("Origin", "https://dash.example.com")]


@pytest.mark.parametrize(
    "headers", [ELSEWHERE["forwarded-quoted-ipv6"], PUBLIC_NAME], ids=["forwarded", "named"]
)
def test_oidc_without_an_allow_list_lets_no_one_in_through_a_proxy_from_elsewhere(
    monkeypatch, demo_db, headers
):
    """On 127.0.0.1 an OIDC login with no allow-list lets the provider decide (only this
    machine reaches it); a proxy in front makes anyone with an account at the provider a
    visitor, so the session it forwards from elsewhere gets the error, not a login button."""
    monkeypatch.setenv("REFSCOPE_DB", str(demo_db))
    monkeypatch.setenv(AUTH_ENV, "oidc")
    monkeypatch.delenv(auth.ALLOWED_EMAILS_ENV, raising=False)
    real = auth.st.get_option
    monkeypatch.setattr(
        auth.st, "get_option", lambda k: "127.0.0.1" if k == "server.address" else real(k)
    )
    monkeypatch.setattr(auth, "_visitor", lambda: None)
    monkeypatch.setattr(auth, "_headers", lambda: headers)
    for logged_in in (False, True):
        at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
        at.secrets["auth"] = {"redirect_uri": "https://dash.example.com/oauth2callback",
                              "cookie_secret": "c", "client_id": "g", **PROVIDER}  # fmt: skip
        at.user = {"is_logged_in": logged_in, "email": "eve@gmail.com"}
        at.run()
        assert_no_data(at)
        assert auth.ALLOWED_EMAILS_ENV in at.error[0].value
        assert not at.button  # not even a way to log in
    monkeypatch.setattr(auth, "_headers", lambda: THIS_MACHINE["forwarded-quoted-ipv6"])
    at.run()
    assert [t.value for t in at.title] == ["Overview"]  # the provider decides, as before


def test_oidc_needs_an_allow_list_for_every_session_from_beyond_the_machine():
    elsewhere, local = ELSEWHERE["xff-spoofed-then-real"], THIS_MACHINE["xff-loopback"]
    refusal = access.oidc_refusal("127.0.0.1", elsewhere, listed=False)
    assert refusal and "reverse proxy" in refusal and access.ALLOWED_EMAILS_ENV in refusal
    # A proxy that passes its public name on (nginx's `proxy_set_header Host $host`) and adds
    # no X-Forwarded-For; or a page under a name rebound to 127.0.0.1.
    for named in (PUBLIC_NAME, [("Host", "127.0.0.1:8501"), ("Origin", "https://a.example")]):
        refusal = access.oidc_refusal("127.0.0.1", named, listed=False)
        assert refusal and "name other than localhost" in refusal, named
        assert access.oidc_refusal("127.0.0.1", named, listed=True) is None
    assert "0.0.0.0" in (access.oidc_refusal("0.0.0.0", local, listed=False) or "")
    assert access.oidc_refusal("::1", local, listed=False) is None
    assert access.oidc_refusal("127.0.0.1", elsewhere, listed=True) is None


OWN_NAMES = ["localhost:8501", "LOCALHOST", "localhost.:8501", "127.0.0.1:8501", "127.0.0.1",
             "[::1]:8501", "[::1]", "refscope.localhost:8501"]  # fmt: skip
OTHER_NAMES = ["rebind.example:8501", "dash.example.com", "192.168.1.20:8501", "[2001:db8::1]:80",
               "localhost.example.com", "", "127.0.0.1.nip.io:8501"]  # fmt: skip


@pytest.mark.parametrize("host", OWN_NAMES)
def test_a_page_opened_as_this_machine_is_named_here(host):
    assert not access.named_elsewhere([("Host", host), ("Origin", f"http://{host}")])
    assert access.app_mode({AUTH_ENV: "none"}, "127.0.0.1", None, [("host", host)]) == "none"


@pytest.mark.parametrize("host", OTHER_NAMES, ids=[h or "empty" for h in OTHER_NAMES])
def test_a_page_opened_under_another_name_needs_a_login(host):
    """DNS rebinding: a site whose name resolves to 127.0.0.1 reads what that name serves."""
    assert access.named_elsewhere([("HOST", host)])
    assert access.named_elsewhere([("Host", "localhost:8501"), ("Host", host)])
    for env in ({AUTH_ENV: "none"}, {}):
        with pytest.raises(AccessError, match="name other than localhost") as refused:
            access.app_mode(env, "127.0.0.1", None, [("Host", host)])
        assert PASSWORD_ENV in str(refused.value)
    assert access.app_mode({PASSWORD_ENV: PASSWORD}, "::1", None, [("Host", host)]) == "password"


def test_no_host_header_names_nowhere():
    assert not access.named_elsewhere([])
    assert not access.named_elsewhere([("X-Forwarded-Host", "dash.example.com")])


@pytest.mark.parametrize(
    "origin, elsewhere",
    [("http://localhost:8501", False), ("http://127.0.0.1:8501", False),
     ("http://[::1]:8501", False), ("HTTP://LOCALHOST", False),
     ("http://refscope.localhost", False),
     ("https://dash.example.com", True), ("http://192.168.1.20", True), ("null", True),
     ("", True), ("http://[bad", True)],
)  # fmt: skip
def test_the_origin_of_the_page_must_be_this_machine_too(origin, elsewhere):
    """A proxy that rewrites Host to 127.0.0.1 and adds no header (nginx's defaults) still
    leaves the Origin of the page it serves, which a browser sends with the WebSocket."""
    headers = [("Host", "127.0.0.1:8501"), ("Origin", origin)]
    assert access.named_elsewhere(headers) is elsewhere
    if elsewhere:
        with pytest.raises(AccessError, match="name other than localhost"):
            access.app_mode({AUTH_ENV: "none"}, "127.0.0.1", None, headers)
