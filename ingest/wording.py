"""Counts as a person reads them ("1 contact", "2 contacts"), and text from the data as a
terminal may show it."""

from __future__ import annotations

import re

# C0 and C1 control characters (ESC, BEL, CR, a line break, CSI) and the bytes of a file name
# that are not UTF-8 (held as lone surrogates): none is printed as it is.
_UNSHOWN = re.compile("[\x00-\x1f\x7f-\x9f\udc80-\udcff]")


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """ "1 new link", "3 new links": n with its noun, in the plural (noun + "s" unless given)
    but for one."""
    return f"{n:,} " + (noun if n == 1 else plural or noun + "s")


def shown(text: str) -> str:
    r"""text to print: each control character as \xNN, so that a file name, a URL or a reject
    reason quoting a log's value cannot drive the terminal (an ESC starts its commands), and a
    name's byte that is not UTF-8 as \xNN too, as the database names the file (it was shown as
    a '?'). Only what is printed: the database keeps the text as it was."""
    return _UNSHOWN.sub(lambda m: f"\\x{ord(m[0]) & 0xFF:02x}", text)
