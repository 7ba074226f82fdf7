"""The Graph API base URL a pull may send the access token to, and URLs without the token.
https://developers.facebook.com/docs/graph-api/overview
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from .access import is_loopback
from .errors import ValidationError
from .link_rules import has_userinfo, userinfo_masked
from .url_check import idna_mapped, url_problem

DEFAULT_BASE_URL = "https://graph.facebook.com"
DEFAULT_API_VERSION = "v23.0"
BASE_URL_RULE = (
    "a Graph API base URL is http(s)://host[:port][/path], with no user name or password (the "
    "access token is the one credential sent; httpx would send those in its place) and no query "
    "or fragment (the API version and /{account}/insights follow the path)"
)


def check_base_url(base_url: str) -> str:
    """Refuse a base URL that is not http(s)://host[/path] before any request (no retries), one
    with credentials (never shown), a query or a fragment, and plain http to any host but this
    machine: the access token travels in every request's header. Else the base URL to ask: its
    host as a browser reads it (url_check.idna_mapped: fullwidth letters are ASCII ones)."""
    # Nor is a query: one copied from Meta's examples holds the token (?access_token=EAA…).
    shown = re.sub(r"([?#]).*", r"\1…", userinfo_masked(base_url), flags=re.S)[:60]
    if has_userinfo(base_url):
        raise ValidationError(
            f"invalid Graph API base URL {shown!r} (a user name or password before '@'): "
            f"{BASE_URL_RULE}"
        )
    problem = url_problem(base_url)
    if problem == "":
        raise ValidationError(f"invalid Graph API base URL {shown!r}: {BASE_URL_RULE}")
    if problem:
        raise ValidationError(f"invalid Graph API base URL {shown!r}: it {problem}")
    if re.search(r"[?#]", base_url):  # even an empty one: the path appended would follow it
        raise ValidationError(
            f"invalid Graph API base URL {shown!r} (a query or fragment): {BASE_URL_RULE}"
        )
    base_url = idna_mapped(base_url)
    parts = urlsplit(base_url)
    if parts.scheme == "http" and not is_loopback(parts.hostname or ""):
        raise ValidationError(
            f"refused Graph API base URL http://{(parts.hostname or '')[:60]}: plain http would "
            "send the access token unencrypted; use https (http only to this machine: "
            "localhost, 127.0.0.1, ::1)"
        )
    return base_url


def without_token(url: str) -> str:
    """url without its access_token query parameter: Meta's paging.next links carry one."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
             if k != "access_token"]  # fmt: skip
    return urlunsplit(parts._replace(query=urlencode(query)))
