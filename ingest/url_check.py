"""Whether a URL given to `pull logs` or `pull ads --base-url` is one a request can be made to:
refused at once, never retried, rather than a traceback or retries of a lookup that cannot work."""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit, urlunsplit

import idna

_BAD_HOST = (
    "has a host that is no valid host name (an empty label as in 'a..b', a space, a broken "
    "xn-- label)"
)
MAX_URL = 65_536  # httpx refuses a longer URL
_CODEPOINT = re.compile(r"U\+([0-9A-F]{4,6})")


def url_problem(url: str) -> str | None:
    """What keeps url from being requested, or None: "" when it is not http(s)://host with a
    valid port, else the fault (of one httpx raises outside its errors, or of a host no lookup
    takes, which would fail each retry as if the network were down)."""
    try:
        parts = urlsplit(url)
        if parts.port == 0:  # raises on one that is not a number in range; 0 is no server's
            return ""
    except ValueError:
        return ""
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return ""
    if not url.isprintable():  # urlsplit drops a line break that httpx refuses
        return "holds a line break, a tab or another unprintable character"
    if len(url) > MAX_URL:
        return f"is longer than {MAX_URL:,} characters"
    try:
        url = idna_mapped(url)  # a host as a browser reads it: fullwidth letters are ASCII ones
    except ValueError as exc:  # an emoji, a bad xn-- label: the rule it breaks
        return str(exc).removeprefix("it ")
    import httpx  # a tenth of a second: only the commands given a URL load it

    try:
        host = httpx.URL(url).host
        if ":" not in host:  # a name, not an IPv6 address: encoded as the lookup will
            host.encode("idna")  # an empty label, one over 63 characters
    except (httpx.InvalidURL, ValueError):  # idna's errors are ValueErrors
        return _BAD_HOST
    return _BAD_HOST if any(c.isspace() or c == "%" for c in host) else None


def ascii_url(url: str) -> str:
    """url as a QR reader or mail client passes it on: a host beyond ASCII in IDNA (xn--, as
    httpx and a browser look it up), a path's characters beyond ASCII percent-encoded as UTF-8;
    an ASCII url as given. For a url url_problem passes (its host encodes)."""
    if url.isascii():
        return url
    import httpx  # as url_problem

    parts = urlsplit(url)
    netloc = parts.netloc if parts.netloc.isascii() else httpx.URL(url).netloc.decode("ascii")
    path = re.sub(r"[^\x00-\x7f]+", lambda m: quote(m.group()), parts.path)
    return urlunsplit((parts.scheme, netloc, path, parts.query, parts.fragment))


# A URL's scheme and authority: the user information (up to the authority's last '@', as
# urlsplit reads it) apart from the host and port.
_AUTHORITY = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*://)(?:([^/?#]*)@)?([^/?#]*)")


def case_folded(url: str) -> str:
    """url with its scheme and host in lower case, as RFC 3986 compares them (section 6.2.2.1,
    https://www.rfc-editor.org/rfc/rfc3986#section-6.2.2.1: both are case-insensitive): HTTPS://
    GO.EXAMPLE is https://go.example. Its path, query and any user information as given (they
    are case-sensitive); a url without `scheme://` as given."""

    def lower(m: re.Match[str]) -> str:
        user = "" if m[2] is None else f"{m[2]}@"
        return f"{m[1].lower()}{user}{m[3].lower()}"

    return _AUTHORITY.sub(lower, url, count=1) if _AUTHORITY.match(url) else url


def idna_mapped(url: str) -> str:
    """url with a host beyond ASCII mapped as a browser maps it before the lookup, by UTS #46
    (https://www.unicode.org/reports/tr46/: fullwidth "ｂａｋｅｒｙ．ｅｘａｍｐｌｅ" is
    bakery.example, a capital its small letter, a letter and its accent one letter), so that
    ascii_url writes the name a browser looks up. ValueError naming the IDNA 2008 rule (RFC
    5891-5893) such a host, or an ASCII one with an xn-- label, breaks. Any other url as given;
    for an http(s)://[user:password@]host[:port] url."""
    parts = urlsplit(url)
    user, at, hostport = parts.netloc.rpartition("@")
    host, colon, port = hostport.partition(":")
    if host.startswith("[") or (host.isascii() and "xn--" not in host.lower()):
        return url
    try:
        mapped = idna.uts46_remap(host, std3_rules=True, transitional=False)
        idna.encode(mapped)
    except idna.IDNAError as exc:
        fault = _idna_fault(exc)
        if host.isascii():  # the xn-- form of a name
            fault = f"an xn-- label stands for a name in which {fault}"
        raise ValueError(
            f"it has a host that is no valid host name under IDNA 2008: {fault}"
        ) from exc
    return urlunsplit(parts._replace(netloc=user + at + mapped + colon + port))


def _idna_fault(exc: idna.IDNAError) -> str:
    """The IDNA 2008 rule behind one of idna's errors, with the character it names."""
    found = _CODEPOINT.search(str(exc))
    char = f"U+{found[1]} {chr(int(found[1], 16))!r}" if found else "a character"
    if isinstance(exc, idna.InvalidCodepointContext):
        return f"{char} may stand only where RFC 5892's contextual rules allow it"
    if isinstance(exc, idna.InvalidCodepoint):
        return (
            f"{char} is not allowed: a host name holds letters, digits and hyphens, no emoji "
            "or other symbol (RFC 5892)"
        )
    if isinstance(exc, idna.IDNABidiError):
        return (
            f"its right-to-left and left-to-right characters break the Bidi rule (RFC 5893): {exc}"
        )
    return f"{exc} (RFC 5891)"
