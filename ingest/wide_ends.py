"""Where the lines of UTF-16 text end: at the code unit 0x000A alone, never at a 0x0A byte of
another character's code unit (上 U+4E0A is `0A 4E` little-endian, `4E 0A` big-endian) nor at
`0A 00` or `00 0A` astride two code units.

Offsets count bytes of the text from its start (a file's first byte, its byte order mark's if
any), so a code unit starts at an even one. A line of little-endian text is cut just past the
0x0A of its `0A 00`, the zero starting the next line (as refscope always cut it: the offsets a
run recorded stay line ends), so such a line end is at an odd offset; big-endian, past `00 0A`,
at an even one. A line that does not start as UTF-16 text (UTF-8 appended to such a log, as
PowerShell 5's Add-Content writes) ends at its first 0x0A, as in any log.

A UTF-8 log may have lines of UTF-16LE text appended (PowerShell 5's `>>`): such a line ends
at the code unit 0x000A alone too, its code units told by its own start (mixed_ends).
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


def mixed_ends(data: object, nl: np.ndarray, whole: bool = True) -> np.ndarray:
    """The line ends (offsets just past each) of data, text that is no UTF-16 (a UTF-8 log),
    its first byte a line's start, nl the offsets just past each of its 0x0A bytes: each
    0x0A, but in a line of UTF-16LE text appended to it (PowerShell 5's `>>`), which ends at
    the code unit 0x000A alone (appended_end). Such a line starts with a zero byte at its first
    or second byte: without one, nl is data's line ends (UTF-8 logs, read at numpy's speed).
    Not whole, the ends are those data's bytes decide (a line's last is said further on)."""
    arr = np.frombuffer(data, dtype=np.uint8)  # type: ignore[call-overload]
    n = len(arr)
    starts = np.concatenate(([0], nl[nl < n])).astype(np.int64)
    zero = (arr[starts] == 0) | (arr[np.minimum(starts + 1, n - 1)] == 0) if n else starts > 0
    wide = starts[zero]
    if not len(wide):
        return nl
    view = memoryview(data)  # type: ignore[arg-type]
    keep = np.ones(len(nl), dtype=bool)
    done = 0  # where the last line of UTF-16 text found ends
    for s in wide.tolist():
        if s < done:
            continue  # within that line
        order = zero_paired(bytes(view[s : s + _PEEK]))
        if not order:
            continue
        # Its code units start at s (`c 00`), or at s - 1, the zero byte of the line end
        # before it (`00 c 00`: UTF-16BE text too ends there, a 0x0A ending no code unit
        # of it that starts no JSON text after it)
        end = appended_end(arr, nl, s, s if order == LE else s - 1, whole)
        first = int(np.searchsorted(nl, s, side="right"))
        if end is None:  # said further on: no line end from s on
            return nl[:first][keep[:first]]
        last = int(np.searchsorted(nl, end, side="left"))
        keep[first:last] = False  # the 0x0A bytes within the line
        done = end
    return nl[keep]


def appended_end(arr: np.ndarray, nl: np.ndarray, s: int, unit: int, whole: bool) -> int | None:
    """The end of the line of UTF-16LE text at offset s of arr, its code units starting at
    offsets unit + 2k: past the first 0x0A of such a unit followed by a zero byte, or by no
    byte when arr is whole (its zero not written yet); past another 0x0A (上's code unit is
    `0A 4E`) when the bytes after it to the next 0x0A hold no zero byte and start with `{`,
    as a line of UTF-8 JSON does (UTF-8 text written after a UTF-16 line without its line end)
    and no UTF-16 text of a JSON object line does; at arr's end when it holds none and arr is
    whole. None when arr's bytes do not tell."""
    n = len(arr)
    i = int(np.searchsorted(nl, s, side="right"))
    while i < len(nl):
        p = int(nl[i]) - 1  # the 0x0A
        if p + 1 == n:
            return n if whole else None
        if (p - unit) % 2 == 0 and arr[p + 1] == 0:
            return p + 1
        told = i + 1 < len(nl) or whole  # the bytes after it to the next 0x0A are all here
        after = arr[p + 1 : int(nl[i + 1]) if i + 1 < len(nl) else n]
        if not (after == 0).any():
            if not told:
                return None
            text = bytes(after).lstrip(b" \t\r")
            if text.removeprefix(b"\xef\xbb\xbf").startswith(b"{"):
                return p + 1
        i += 1
    return n if whole else None


def last_end(buf: bytes, at: int, order: str, whole: bool) -> tuple[int, int]:
    """Where buf's last whole line ends (0: none) and how many lines end up to there, buf's
    first byte at offset at of the text: of UTF-16 text in byte order `order` as line_ends
    says (whole: buf is all there is), of other text ("", buf's first byte a line's start) at
    each newline, but within a line of UTF-16 text appended to it (mixed_ends)."""
    if not order:
        if b"\x00" in buf:
            arr = np.frombuffer(buf, dtype=np.uint8)
            ends = mixed_ends(buf, np.flatnonzero(arr == 10) + 1, whole)
            return (int(ends[-1]), len(ends)) if len(ends) else (0, 0)
        cut = buf.rfind(b"\n") + 1
        return cut, buf.count(b"\n", 0, cut)
    ends = line_ends(buf, at, order, whole)
    return (int(ends[-1]), len(ends)) if len(ends) else (0, 0)
