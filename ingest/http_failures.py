"""What an HTTP client's failure says, and where it asks, for `pull logs` and `pull ads` alike."""

from __future__ import annotations

import contextlib
import socket
import ssl
from typing import TypeVar
from urllib.parse import urlsplit

import httpx

from .access import is_loopback

E = TypeVar("E", bound=BaseException)
# getaddrinfo's "no such name" (NXDOMAIN) and "no address for it" answers (EAI_NODATA: glibc's).
_NO_SUCH_NAME = {socket.EAI_NONAME, getattr(socket, "EAI_NODATA", socket.EAI_NONAME)}


def direct_to_this_machine(url: str) -> dict[str, httpx.BaseTransport | None]:
    """httpx mounts that ask url's host directly when it is this machine (localhost, 127.0.0.1,
    ::1), never through a proxy from the environment (HTTP_PROXY, ALL_PROXY): a proxy elsewhere
    cannot reach this machine's loopback, and would read the request's credentials on the way."""
    host = urlsplit(url).hostname or ""
    if not is_loopback(host):
        return {}
    return {f"all://{f'[{host}]' if ':' in host else host}": None}  # None: no proxy


def _cause(exc: BaseException, kind: type[E]) -> E | None:
    """The first error of that kind in exc's chain (httpx -> httpcore -> ssl or socket)."""
    seen: BaseException | None = exc
    for _ in range(10):  # guarded against a cycle
        if seen is None:
            break
        if isinstance(seen, kind):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def refused_certificate(exc: BaseException) -> str | None:
    """Why the server's TLS certificate was refused (self-signed, expired, another host's, a
    proxy's this machine does not trust), when that is what a connection error was; else None.
    Waiting does not mend a certificate, so such an error is not retried."""
    if (seen := _cause(exc, ssl.SSLCertVerificationError)) is None:
        return None
    why = seen.verify_message or str(seen)
    return f"the server's TLS certificate was refused ({why}); not retried"


def unknown_host(exc: BaseException) -> str | None:
    """What a connection error says when the DNS answered that the host's name does not exist
    (a typo, a name under .invalid), naming the host (never the URL: its query may hold a
    credential); else None. Asking again gets the same answer, so it is not retried, as a 5xx
    is; a name the DNS could not answer just then (EAI_AGAIN: no DNS server reached) is."""
    seen = _cause(exc, socket.gaierror)
    if seen is None or seen.errno not in _NO_SUCH_NAME:
        return None
    host = "the server's host"
    if isinstance(exc, httpx.RequestError):
        with contextlib.suppress(RuntimeError):  # an error raised outside a request has none
            host = exc.request.url.host
    return (f"the host {host[:100]} was not found (DNS: {seen.strerror or seen}); not retried: "
            "check the host name, and this machine's DNS")  # fmt: skip


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


def not_retried(exc: BaseException) -> str | None:
    """What a failure that waiting cannot mend says (a certificate refused, headers too large
    to read, a host the DNS says does not exist); None for one worth retrying."""
    return refused_certificate(exc) or headers_too_large(exc) or unknown_host(exc)
