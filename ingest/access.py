"""Who may open the dashboard: loopback or not, and which login applies (OIDC, password, none);
where a visitor comes from (loopback, proxy headers, Host and Origin) is read in visitors.py.

Pure decisions shared by `refscope dashboard` and the app: they read only the mappings and files
they are given, never import streamlit, and never put a password in a message.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from .errors import RefscopeError

# Where a visitor comes from (`X as X`: read as access.<name> too).
from .visitors import forwarded_addresses as forwarded_addresses
from .visitors import forwarded_from_elsewhere as forwarded_from_elsewhere
from .visitors import is_loopback as is_loopback
from .visitors import named_elsewhere as named_elsewhere

PASSWORD_ENV = "REFSCOPE_DASHBOARD_PASSWORD"
# Set by `refscope dashboard` for the app, one of MODES: it picks a login, never waives a check.
AUTH_ENV = "REFSCOPE_DASHBOARD_AUTH"
MODES = ("oidc", "password", "none")
# Who of those an OIDC provider signs in may enter: addresses or @domains, comma-separated.
ALLOWED_EMAILS_ENV = "REFSCOPE_DASHBOARD_ALLOWED_EMAILS"
SECRETS_HINT = (
    "an [auth] section (redirect_uri, cookie_secret, provider) to .streamlit/secrets.toml"
)
# What st.login needs of a provider, beside [auth]'s redirect_uri and cookie_secret.
PROVIDER_KEYS = ("client_id", "client_secret", "server_metadata_url")
AUTHLIB_MIN = (1, 3, 2)  # the oldest Authlib that st.login accepts
# An allow-list entry: an address, or @domain for every address there.
_EMAIL_ENTRY = re.compile(r"[^@\s,]*@[^@\s,]+\.[^@\s,]+")
RETRY_DELAY_FIRST = 1.0  # seconds after the first wrong password; doubled after each next one
RETRY_DELAY_CAP = 30.0  # keeps a typo cheap while holding a guesser to ~2 tries a minute


class AccessError(RefscopeError):
    """The dashboard would be served without a login it needs, or told an unknown login."""


@dataclass(frozen=True)
class Access:
    mode: str
    """One of MODES: what the app must enforce."""
    why: str
    """One line for the console saying which setting chose the mode (never a secret)."""


def oidc_refusal(address: str, headers: Iterable[tuple[str, str]], listed: bool) -> str | None:
    """Why the app must offer this session no OIDC login (None: it may): a provider such as
    Google signs in anyone with an account, so without an allow-list (listed) only a session
    from this machine to an app on loopback may sign in."""
    if listed:
        return None
    if not is_loopback(address):
        where = f"on {address or 'every interface'}"
    elif forwarded_from_elsewhere(headers):
        where = "that a reverse proxy forwards from another machine"
    elif named_elsewhere(headers):
        where = "to a page under a name other than localhost or a loopback address"
    else:
        return None
    return (
        f"Refusing OpenID Connect logins {where}: set {ALLOWED_EMAILS_ENV} to the addresses "
        "or @domains that may see the dashboard (comma-separated), or serve it on 127.0.0.1 "
        "only."
    )


def secrets_files(app: Path, cwd: Path | None = None, home: Path | None = None) -> list[Path]:
    """Where Streamlit reads secrets.toml for this app: global, project, then the app's folder."""
    paths = [
        (home or Path.home()) / ".streamlit" / "secrets.toml",
        (cwd or Path.cwd()) / ".streamlit" / "secrets.toml",
        app.resolve().parent / ".streamlit" / "secrets.toml",
    ]
    return list(dict.fromkeys(paths))


def oidc_configured(paths: Iterable[Path]) -> Path | None:
    """The first secrets file with an [auth] section holding redirect_uri and cookie_secret;
    AccessError when that section gives st.login no complete provider (oidc_section)."""
    for path in paths:
        if not path.is_file():
            continue
        try:
            secrets = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            # The parser's message gives line and column only, never the file's values.
            raise AccessError(f"{path} is not valid TOML: {exc}") from None
        if oidc_section(secrets.get("auth"), path):
            return path
    return None


def oidc_section(auth: object, where: object = "the secrets Streamlit reads") -> bool:
    """Whether a secrets file's [auth] section configures st.login: redirect_uri and
    cookie_secret set. AccessError, naming each table and the keys it lacks (never a value),
    when it sets those but a login it offers lacks a provider's PROVIDER_KEYS: st.login would
    fail on every attempt, and refscope would have chosen it over the password."""
    if not (isinstance(auth, Mapping) and {"redirect_uri", "cookie_secret"} <= auth.keys()):
        return False
    gaps = [
        f"[{table}] lacks {', '.join(keys)}"
        for table, keys in (
            (f"auth.{name}" if name else "auth", [k for k in PROVIDER_KEYS if not section.get(k)])
            for name, section in oidc_providers(auth).items()
        )
        if keys
    ]
    if gaps:
        raise AccessError(
            f"{where}: the [auth] section's login cannot work: {'; '.join(gaps)} (st.login "
            "needs each of client_id, client_secret and server_metadata_url, in [auth] for "
            "one provider or in an [auth.<name>] table for each)"
        )
    return True


def oidc_providers(auth: Mapping[str, object]) -> dict[str | None, Mapping[str, object]]:
    """The logins an [auth] section offers, as the app offers them: None (the provider set
    directly in [auth]) when it holds a provider key or no table, else each [auth.<name>]
    table by name (client_kwargs is the default provider's, not a provider)."""
    named = {
        str(name): value
        for name, value in auth.items()
        if isinstance(value, Mapping) and name != "client_kwargs"
    }
    if any(key in auth for key in PROVIDER_KEYS) or not named:
        return {None: auth}
    return dict(sorted(named.items()))


def allowed_entries(environ: Mapping[str, str]) -> list[str]:
    """ALLOWED_EMAILS_ENV's entries, read as the app reads them (between commas, blanks left
    out); AccessError naming any that is neither an address nor an @domain."""
    listed = [e for e in environ.get(ALLOWED_EMAILS_ENV, "").split(",") if e.strip()]
    malformed = [e.strip() for e in listed if not _EMAIL_ENTRY.fullmatch(e.strip())]
    if malformed:
        # "example.com" matches no address: everyone would be refused after signing in.
        raise AccessError(
            f"{ALLOWED_EMAILS_ENV}: {', '.join(repr(e) for e in malformed)} is neither an "
            "address (ana@example.com) nor a domain written with its @ (@example.com)"
        )
    return listed


def authlib_installed() -> bool:
    """Whether Authlib, which st.login needs, is installed in a version it accepts."""
    try:
        version = metadata.version("authlib")
    except metadata.PackageNotFoundError:
        return False
    parts = tuple(int(p) for p in version.split(".")[:3] if p.isdigit())
    return parts >= AUTHLIB_MIN


def authlib_missing(secrets: object) -> str:
    """Why the OIDC login that secrets (a file, or where Streamlit reads them) configure is
    not the login: the words `refscope dashboard` and the app print on the console."""
    oldest = ".".join(map(str, AUTHLIB_MIN))  # `pip install Authlib` keeps an older one
    return (
        f"{secrets} has [auth] but st.login needs Authlib {oldest} or later: "
        f"pip install --upgrade 'Authlib>={oldest}'"
    )


def serve_access(
    host: str,
    environ: Mapping[str, str],
    secrets: Iterable[Path],
    *,
    authlib: bool | None = None,
) -> Access:
    """The login `refscope dashboard` must enforce on host; AccessError if it would have none.

    OIDC when a secrets file configures it (and Authlib is there), else the password when
    REFSCOPE_DASHBOARD_PASSWORD is set, else none, which only loopback may have.
    """
    oidc = oidc_configured(secrets)
    has_authlib = authlib_installed() if authlib is None else authlib
    password = bool(environ.get(PASSWORD_ENV))
    if oidc and has_authlib:
        listed = allowed_entries(environ)
        if not is_loopback(host) and not listed:
            raise AccessError(
                f"refusing to serve the dashboard on {host or 'every interface'} with an OIDC "
                "login that lets in anyone with an account at the provider: set "
                f"{ALLOWED_EMAILS_ENV} to the addresses or @domains that may enter"
            )
        return Access("oidc", f"OpenID Connect ([auth] in {oidc})")
    missing = f"; {authlib_missing(oidc)}" if oidc else ""
    if password:
        check_password(environ[PASSWORD_ENV])
        return Access("password", f"password from {PASSWORD_ENV}{missing}")
    if is_loopback(host):
        return Access("none", f"none, loopback only{missing}")
    raise AccessError(
        f"refusing to serve the dashboard on {host or 'every interface'} without a login: "
        f"set {PASSWORD_ENV}, or add {SECRETS_HINT}{missing}; or keep --host 127.0.0.1"
    )


def app_mode(
    environ: Mapping[str, str],
    address: str = "127.0.0.1",
    visitor: str | None = None,
    headers: Iterable[tuple[str, str]] = (),
    *,
    oidc: bool = False,
) -> str:
    """The login the app enforces: the CLI's choice, and the password whenever one is set;
    the OIDC login whenever the app's secrets configure it (oidc: an [auth] section for
    st.login, and Authlib installed), as `refscope dashboard` chooses it, unless AUTH_ENV
    names the password: an app started by hand (`streamlit run`) has no AUTH_ENV.

    address is Streamlit's server.address ("" when unset: every interface), visitor the
    address the session came from (None: this machine), headers those of its request. An app
    with no login shows nothing to a visitor from another machine when it listens beyond
    loopback, as the command refuses to start there, however it was started: AUTH_ENV "none"
    (the command's word for loopback, which anyone can set by hand) waives nothing; on this
    machine it works as the command's does, unless the request carries a proxy header: there
    the visitor's address may be the header's word, not the connection's.
    A session a reverse proxy forwarded from beyond the machine (forwarded_from_elsewhere)
    has no login-free view at all: a proxy on this machine connects from loopback. Nor has a
    page opened under a name that is not this machine's own (named_elsewhere).
    """
    chosen = environ.get(AUTH_ENV, "").strip().lower()
    if chosen not in ("", *MODES):
        raise AccessError(f"{AUTH_ENV} must be one of {', '.join(MODES)}")
    if chosen == "oidc" or (oidc and chosen != "password"):
        allowed_entries(environ)
        return "oidc"
    if environ.get(PASSWORD_ENV):
        check_password(environ[PASSWORD_ENV])
        return "password"
    if chosen == "password":
        raise AccessError(f"{AUTH_ENV} is password but {PASSWORD_ENV} is not set")
    if forwarded_from_elsewhere(headers):
        raise AccessError(
            "refusing to show the dashboard without a login to a visitor a reverse proxy "
            f"forwarded from another machine: set {PASSWORD_ENV}, or add {SECRETS_HINT} "
            f"(with {ALLOWED_EMAILS_ENV}), and restart it"
        )
    if named_elsewhere(headers):
        raise AccessError(
            "refusing to show the dashboard without a login under a name other than localhost "
            "or a loopback address (a reverse proxy's, or a site's that points its name at this "
            f"machine): open it as localhost, or set {PASSWORD_ENV}, or add {SECRETS_HINT}, "
            "and restart it"
        )
    # Streamlit's server (uvicorn) takes the visitor's address from X-Forwarded-For when the
    # connection comes from an address FORWARDED_ALLOW_IPS trusts: "*" trusts every client's.
    if not is_loopback(address) and (
        not is_loopback(visitor or "localhost") or forwarded_addresses(headers)
    ):
        raise AccessError(
            "refusing to show the dashboard to another machine without a login (it listens "
            f"on {address or 'every interface'}): start it with `refscope dashboard`, set "
            f"{PASSWORD_ENV}, or serve it on 127.0.0.1 only (--server.address 127.0.0.1)"
        )
    return "none"


def check_password(password: str) -> None:
    """Refuse a blank password, and one no one can type into the login form, without showing
    it: a browser
    drops every line break from what a password field is given (HTML's value sanitization),
    so one holding a CR or LF (an env file saved on Windows ends each line with CR) would meet
    every attempt with "Wrong password." and a longer wait."""
    if "\r" in password or "\n" in password:
        raise AccessError(
            f"{PASSWORD_ENV} holds a line break, which no one can type into the login form: "
            "check how it was set (an env file saved on Windows ends each line with one)"
        )
    if not password.strip():  # a `.env` line `...PASSWORD= `: a login anyone could type
        raise AccessError(
            f"{PASSWORD_ENV} is blank (spaces or tabs alone), which anyone could type into the "
            "login form: set a password, or unset it"
        )


def password_matches(given: str, expected: str) -> bool:
    """Constant-time comparison; digests first, so the time does not even tell the length."""
    # surrogatepass: a password set in the environment from bytes that are not UTF-8 holds lone
    # surrogates (Python's surrogateescape); it compares as those bytes, never raises.
    digest = [
        hashlib.sha256(p.encode("utf-8", "surrogatepass")).digest() for p in (given, expected)
    ]
    return hmac.compare_digest(*digest)


def retry_delay(failures: int) -> float:
    """Seconds to hold a session after its n-th wrong password in a row: 1, 2, 4 … capped."""
    if failures <= 0:
        return 0.0
    return min(RETRY_DELAY_FIRST * 2.0 ** min(failures - 1, 32), RETRY_DELAY_CAP)
