"""What an HTTP client's failure says, and where it asks, for `pull logs` and `pull ads` alike."""

from __future__ import annotations

import ssl
from urllib.parse import urlsplit

import httpx

from .access import is_loopback


def direct_to_this_machine(url: str) -> dict[str, httpx.BaseTransport | None]:
    """httpx mounts that ask url's host directly when it is this machine (localhost, 127.0.0.1,
    ::1), never through a proxy from the environment (HTTP_PROXY, ALL_PROXY): a proxy elsewhere
    cannot reach this machine's loopback, and would read the request's credentials on the way."""
    host = urlsplit(url).hostname or ""
    if not is_loopback(host):
        return {}
    return {f"all://{f'[{host}]' if ':' in host else host}": None}  # None: no proxy


def refused_certificate(exc: BaseException) -> str | None:
    """Why the server's TLS certificate was refused (self-signed, expired, another host's, a
    proxy's this machine does not trust), when that is what a connection error was; else None.
    Waiting does not mend a certificate, so such an error is not retried."""
    seen: BaseException | None = exc
    for _ in range(10):  # the chain httpx -> httpcore -> ssl, guarded against a cycle
        if seen is None:
            break
        if isinstance(seen, ssl.SSLCertVerificationError):
            why = seen.verify_message or str(seen)
            return f"the server's TLS certificate was refused ({why}); not retried"
        seen = seen.__cause__ or seen.__context__
    return None


def headers_too_large(exc: BaseException) -> str | None:
    """What a failure to read the answer's headers says when they were over the 100 KiB httpx
    reads (httpcore's limit; h11's "Receive buffer too long": a proxy piling up cookies, a debug
    header run wild); else None. The same server sends them again, so it is not retried."""
    if isinstance(exc, httpx.RemoteProtocolError) and "Receive buffer too long" in str(exc):
        return (
            "the server's answer has headers too large to read (over httpx's limit of 100 "
            "KiB: cookies or a header piling up at the server or a proxy?); not retried"
        )
    return None


def headers_left_behind(url: str, answer: httpx.Response, names: dict[str, str]) -> str:
    """What a refusal (401, 403) says when a redirect led away from url's origin (another
    scheme, host or port), which gets none of the user's headers (names): said in place of
    asking for the credentials the user gave; "" when it came from url's own origin, or none
    were given. The place is named by its origin only: its path and query may hold a secret."""
    answered = answer.url
    first = httpx.URL(url)
    if not names or (answered.scheme, answered.host, answered.port) == (
        first.scheme, first.host, first.port):  # fmt: skip
        return ""
    host = f"[{answered.host}]" if ":" in answered.host else answered.host
    where = f"{answered.scheme}://{host}" + (f":{answered.port}" if answered.port else "")
    return (f"HTTP {answer.status_code} after the URL redirected to {where}, which gets none of "
            "the --header headers (they go to the URL's own scheme, host and port only): pull "
            "the URL it leads to")  # fmt: skip
