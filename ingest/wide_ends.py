"""Where the lines of UTF-16 text end: at the code unit 0x000A alone, never at a 0x0A byte of
another character's code unit (上 U+4E0A is `0A 4E` little-endian, `4E 0A` big-endian) nor at
`0A 00` or `00 0A` astride two code units.

Offsets count bytes of the text from its start (a file's first byte, its byte order mark's if
any), so a code unit starts at an even one. A line of little-endian text is cut just past the
0x0A of its `0A 00`, the zero starting the next line (as refscope always cut it: the offsets a
run recorded stay line ends), so such a line end is at an odd offset; big-endian, past `00 0A`,
at an even one. A line that does not start as UTF-16 text (UTF-8 appended to such a log, as
PowerShell 5's Add-Content writes) ends at its first 0x0A, as in any log.
"""

from __future__ import annotations

import numpy as np

LE, BE = "le", "be"  # UTF-16 text's byte orders


def line_ends(
    data: object, at: int, order: str, whole: bool = True, lines: bool = True
) -> np.ndarray:
    """The offsets in data (bytes of UTF-16 text in byte order `order`, its first at offset
    `at` of the text, a line's start) just past each line end. A little-endian 0x0A that is
    data's last byte is a line end when data is whole (the zero after it not written yet),
    else its next byte, not read yet, tells. A line that does not start as UTF-16 text does
    (zero_paired: lines of UTF-8 appended to the log) ends at its first 0x0A, as before;
    without lines (data starts inside a line), each line end of UTF-16 text is given."""
    arr = np.frombuffer(data, dtype=np.uint8)  # type: ignore[call-overload]
    nl = np.flatnonzero(arr == 10)
    if order == LE:
        ok = nl[(nl + at) % 2 == 0]
        after = ok + 1
        known = after < len(arr)
        ok = ok[np.where(known, arr[np.minimum(after, len(arr) - 1)] == 0, whole)]
    else:
        ok = nl[(nl + at) % 2 == 1]
        ok = ok[(ok > 0) & (arr[np.maximum(ok - 1, 0)] == 0)]
    if len(ok) == len(nl) or not lines:  # each 0x0A is a line end either way
        return (ok + 1).astype(np.int64)
    view = memoryview(data)  # type: ignore[arg-type]
    ends: list[int] = []
    start = 0
    while start < len(arr):
        wide = (at == start == 0 and bytes(view[:2]) in _MARKS) or zero_paired(
            bytes(view[start : start + _PEEK]))  # fmt: skip
        pool = ok if wide else nl
        i = int(np.searchsorted(pool, start))
        if i == len(pool):
            break
        start = int(pool[i]) + 1
        ends.append(start)
    return np.array(ends, dtype=np.int64)


_MARKS = (b"\xff\xfe", b"\xfe\xff")  # byte order marks
_PEEK = 256  # bytes of a line's start that tell it as UTF-16 text (zero_paired)
_WHITE = frozenset(b" \t\r\n")  # JSON's whitespace


def zero_paired(data: bytes) -> str:
    """Whether data starts as UTF-16 text of JSON, in either byte order (LE or BE, read from
    data's first byte; "" if neither): its first two characters but whitespace (fewer where
    data ends) are ASCII, as is any whitespace before them, each a code unit of a zero byte
    and the character.
    JSON text starts with an ASCII character (`{`), and no UTF-8 JSON text holds a zero byte;
    what comes after may be any text (Hebrew, Chinese), whose code units need no zero byte."""
    units = len(data) // 2
    # Little-endian; big-endian, or a little-endian line after its line end's zero byte.
    for char, zero, order in ((0, 1, LE), (1, 0, BE)):
        seen = 0
        for at in range(0, 2 * units, 2):
            c = data[at + char]
            if data[at + zero] or not 0 < c < 0x80:
                break
            seen += c not in _WHITE
            if seen == 2 or at + 2 == 2 * units:
                return order
    return ""


def last_end(buf: bytes, at: int, order: str, whole: bool) -> tuple[int, int]:
    """Where buf's last whole line ends (0: none) and how many lines end up to there, buf's
    first byte at offset at of the text: of UTF-16 text in byte order `order` as line_ends
    says (whole: buf is all there is), of other text ("") at each newline."""
    if not order:
        cut = buf.rfind(b"\n") + 1
        return cut, buf.count(b"\n", 0, cut)
    ends = line_ends(buf, at, order, whole)
    return (int(ends[-1]), len(ends)) if len(ends) else (0, 0)
