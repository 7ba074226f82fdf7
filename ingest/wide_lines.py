"""A rejected line of UTF-16 text (a log PowerShell 5 saved) → the text it holds.

Such a line is kept as its bytes read as UTF-8, a byte that is no UTF-8 written `\\xNN`
(lines.py): a zero byte beside each ASCII character, and each other code unit split into bytes.
The privacy rules read the text itself, so that they find its ids, and count a removed text
in characters, as `text_length` does, not in the escaped bytes its code units were read as.
"""

from __future__ import annotations

import json
import re

# A byte that is no UTF-8 (always 0x80 or more), as Python's backslashreplace writes it.
_ESCAPED = re.compile(r"\\x([89a-f][0-9a-f])")
_MARKS = {"\\xff\\xfe": "utf-16-le", "\\xfe\\xff": "utf-16-be"}  # byte order marks, escaped
_STRUCTURE = frozenset('"{}[]:,')


def text_of(raw: str) -> str | None:
    """The text of raw, a line of UTF-16 text as a reject keeps it (its byte order mark, if
    any, left as it was kept), or None when it does not start as UTF-16 text of ASCII does.

    Little-endian, a line after a file's first starts with the zero byte of the line end
    before it; big-endian, it ends with the zero byte of its own line end. Where the line's
    start alone cannot tell the two (a zero byte, then an ASCII character), the reading that
    keeps the JSON whole (else the more of its quotes and brackets) is taken; little-endian,
    as PowerShell 5 writes, when both keep it as well."""
    mark = next((m for m in _MARKS if raw.startswith(m)), "")
    data = _bytes(raw[len(mark) :])
    if mark:
        readings = [_decoded(data, _MARKS[mark])]
    elif len(data) >= 2 and data[0] and not data[1]:
        readings = [_decoded(data, "utf-16-le")]
    elif len(data) >= 2 and not data[0] and data[1]:
        readings = [_decoded(data[1:], "utf-16-le"), _decoded(data, "utf-16-be")]
    else:
        return None
    return mark + max(readings, key=_score)


def _bytes(kept: str) -> bytes:
    """The bytes a line was read from as it is kept (UTF-8, but for bytes written `\\xNN`)."""
    parts = _ESCAPED.split(kept)
    return b"".join(
        bytes.fromhex(p) if n % 2 else p.encode("utf-8", "surrogatepass")
        for n, p in enumerate(parts)
    )


def _decoded(data: bytes, encoding: str) -> str:
    """data as UTF-16 text, but for a byte left alone at its end (its line end's)."""
    return data[: len(data) // 2 * 2].decode(encoding, "replace")


def _score(text: str) -> tuple[bool, int]:
    """How well a reading keeps a line of JSON: whether it parses, and its quotes and brackets
    (one read in the other byte order takes each ASCII character after a character beyond the
    Latin-1 range for a character of another script)."""
    try:
        json.loads(text)
        whole = True
    except (ValueError, RecursionError):
        whole = False
    return whole, sum(c in _STRUCTURE for c in text)
