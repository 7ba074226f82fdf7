"""A referral's `referer_uri` (the website page the chat plugin or an m.me link was on) as a salted
database stores it: without its query and fragment, which can carry the visitor's email address
or a token (`?email=…`, `#access_token=…`), and without a user name and password before its host.
Its scheme, host and path are kept: the page the Website chat page counts contacts by. A value
that is no URL (`menu?t=1`) is cut the same way, at its first `?` or `#`; nothing left is none
(NULL, as an empty referer_uri is). Without a salt it is stored as it came."""

from __future__ import annotations

import re

from .reject_text import rewritten

# Everything from the first ? or #, then a `user:password@` between the scheme and the host.
_QUERY = r"(?s)[?#].*"
_USER = r"^([A-Za-z][A-Za-z0-9+.-]*://)[^/]*@"
_QUERY_RE, _USER_RE = re.compile(_QUERY), re.compile(_USER)


def page_of(uri: str) -> str:
    """uri without its query, fragment and user (see the module docstring); '' for none left."""
    return _USER_RE.sub(r"\1", _QUERY_RE.sub("", uri, count=1), count=1)


def page_of_sql(x: str) -> str:
    """SQL: page_of over the column or expression x (NULL for none left)."""
    return f"nullif(regexp_replace(regexp_replace({x}, '{_QUERY}', ''), '{_USER}', '\\1'), '')"


def referers_cut(line: str) -> str:
    """A rejected line with each `referer_uri` value as page_of gives it, also in a body kept as
    a JSON string: as a salted ingest now keeps it (privacy.Privacy.redact)."""
    if "referer_uri" not in line:
        return line
    return rewritten(line, lambda key, _, text: page_of(text) if key == "referer_uri" else None)
