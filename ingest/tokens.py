"""Tokens in a rejected line: an access token (a saved Graph API answer's `paging.next`, an
error answer quoting it) or the value of a `token` or `..._token` key (an opt-in's notification
token lets the page message the person) is never kept in `rejects`, salted or not."""

from __future__ import annotations

import re

TOKEN_REMOVED = "<token removed>"  # a token in a rejected line, salted or not
# A Graph API answer saved to a file holds the token that asked for it in paging.next (and a
# saved request may hold it as a key): never kept in rejects.raw.
_TOKEN = re.compile(r'(access_token=|"access_token"\s*:\s*")[^&"\s\\]+')
# Nor the value of any `token` or `..._token` key (an opt-in's notification_messages_token or
# one_time_notif_token lets the page message the person), as a string or a number, also in a
# body kept as a JSON string (\2: its escaped quote); `token_expiry_timestamp` is no token.
_KEYED_TOKEN = re.compile(
    r'(?P<key>(?P<q>\\?)"(?:\w*_)?token(?P=q)"\s*:\s*)(?:(?P=q)"[^"\\]*|(?P<n>-?\d[\d.eE+-]*))'
)
# Meta's error answer to a malformed token quotes it ("Malformed access token EAAG...").
_ECHOED_TOKEN = re.compile(r"(access token )[A-Za-z0-9]{20,}")


def without_tokens(text: str) -> str:
    """text with each token it holds as TOKEN_REMOVED: an access token in a URL's query or
    quoted by an error message, the value of a JSON key `token` or `..._token`."""
    text = _TOKEN.sub(rf"\1{TOKEN_REMOVED}", text)
    text = _KEYED_TOKEN.sub(_keyed_token_removed, text)
    return _ECHOED_TOKEN.sub(rf"\1{TOKEN_REMOVED}", text)


def _keyed_token_removed(m: re.Match[str]) -> str:
    """A token key's value as TOKEN_REMOVED: a number made a string (a line that was JSON
    stays JSON); a string's closing quote, if the line holds one, is left where it is."""
    quote = f'{m["q"]}"'
    return m["key"] + quote + TOKEN_REMOVED + (quote if m["n"] is not None else "")
