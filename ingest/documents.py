"""A log that holds JSON documents, not one body per line → chunks of one body per line.

Meta's samples and public fixtures are pretty-printed files holding one webhook body (or an
envelope, or an insights page), or a JSON array of bodies. A file whose first line opens a
value that spans lines, or whose first line is an array of objects (also its only line, with
no line end after it), and whose unread part parses whole as JSON values, is read so: each
top-level object is a body, and so is each element of a top-level array holding objects,
under the number of the line it starts on.
Anything else (NDJSON, a .gz of it, a pulled input, a document that does not parse or is
larger than a batch) is read line by line by sources.read_lines, each bad line its own reject.
Whether a log is UTF-16 text is told here too, once for each input read line by line.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterator
from typing import IO

from . import gz_cut, reasons, sizes, sources
from .reasons import BOM, JSON_WHITESPACE
from .sources import Chunk, Plan

PEEK_BYTES = 16 * 1024  # of a file's start, to tell a document
_DECODER = json.JSONDecoder()


def read_chunks(p: Plan, chunk_bytes: int | None = None) -> Iterator[Chunk]:
    """sources.read_chunks, with a file of JSON documents read as its bodies: the file is
    opened once, and what is read of it to tell a document is where its lines start."""
    limit = chunk_bytes or sizes.batch_bytes()
    with sources.open_plan(p) as fh:
        got = _document(p, fh, limit)
        if isinstance(got, Chunk):
            yield got
            return
        if got is not None:  # read line by line on from what was read
            yield from sources.read_lines(p, fh, limit, got[0], utf16=got[1])
            return
    # A read failed (a .gz cut short, or not gzip data): the line reader says what is wrong.
    yield from sources.read_chunks(p, limit, utf16=_cut_utf16(p))


def _document(p: Plan, fh: IO[bytes], limit: int) -> Chunk | tuple[bytes, str] | None:
    """The chunk of the bodies of fh (p's file, open at its start) when it holds JSON
    documents; else the bytes from p.local_start read of it, where the line reader takes it
    up, and the byte order of its UTF-16 text ("" for other); None when a read failed. A
    pulled input is read line by line."""
    try:
        head, whole = _head(fh, limit)
        start = p.local_start
        rest = head[start:]
        if start > len(head) and p.is_gz:
            sources._skip(fh, start - len(head), True)
        elif start > len(head):
            fh.seek(start)
        if p.name is not None or not _starts_document(head, whole):
            return rest, _utf16(p, head)
        if len(rest) <= limit:  # the unread part of the file, at most limit + 1 bytes
            rest += fh.read(limit + 1 - len(rest))
    except (OSError, EOFError, zlib.error):
        return None
    return _document_chunk(p, rest[: limit + 1], limit) or (rest, "")


def _utf16(p: Plan, head: bytes) -> str:
    """The byte order of p's file's UTF-16 text ("" for other), as its start tells
    (reasons.utf16_order). A pulled input's spool read on from an offset starts with the bytes
    before that offset, not with the file's start: the last line read before it tells then."""
    if p.start_offset == p.local_start:  # head is the file's start
        return reasons.utf16_order(head)
    return reasons.utf16_order_before(head[: p.local_start], p.start_offset)


def _cut_utf16(p: Plan) -> str:
    """The byte order of the UTF-16 text of p's file, a .gz cut short before the bytes read of
    it to tell, by its start up to the cut ("" for other, or when that cannot be read: the line
    reader says why)."""
    try:
        start = gz_cut.before_cut(p.path, 0)[:PEEK_BYTES] if p.is_gz else b""
    except OSError:
        return ""
    return _utf16(p, start) if start else ""


def _head(fh: IO[bytes], limit: int) -> tuple[bytes, bool]:
    """The file's first bytes, and whether they are all of it: a document's first line is
    short, but for an array on one line (read on to its end); a longer one is NDJSON."""
    head = fh.read(PEEK_BYTES)
    whole = len(head) < PEEK_BYTES  # the file is all in head
    if not whole and _long_array(head):
        # An array on one line longer than the peek (`json.dumps(bodies)`): its line, up to a
        # batch (a longer document is read line by line all the same).
        buf = bytearray(head)
        while len(buf) <= limit:
            more = fh.read(PEEK_BYTES * 64)
            buf += more
            if not more or b"\n" in more:
                whole = not more
                break
        head = bytes(buf)
    return head, whole


def _starts_document(head: bytes, whole: bool) -> bool:
    """Whether the file's first non-blank line opens a value it does not close (a pretty-printed
    object or array), or is an array holding an object."""
    lines = head.split(b"\n")
    for n, line in enumerate(lines):
        # Whole lines only, but for the file's last one when it holds an array whole (as
        # `json.dump` writes one, with no line end): one still being written would not parse.
        last = n == len(lines) - 1
        if last and not whole:
            return False
        if b"\x00" in line:
            return False  # UTF-16 text: the line reader says so
        text = line.decode("utf-8", "replace").removeprefix(BOM).strip(JSON_WHITESPACE)
        if not text:
            continue
        if text[0] not in "[{":
            return False
        try:
            value = json.loads(text)
        except ValueError:
            return not last
        except RecursionError:
            return False
        return isinstance(value, list) and any(isinstance(v, dict) for v in value)
    return False


def _long_array(head: bytes) -> bool:
    """Whether head's first non-blank line starts an array and goes on past head."""
    first = head.removeprefix(BOM.encode()).lstrip(JSON_WHITESPACE.encode())
    return first.startswith(b"[") and b"\n" not in first


def _document_chunk(p: Plan, data: bytes, limit: int) -> Chunk | None:
    """The bodies of data, the unread part of p, as one chunk; None (read line by line, each
    line its own body or reject) when it is larger than a batch or does not parse whole (a
    broken first line of a log, a document cut short or broken)."""
    try:
        text = data.decode("utf-8") if len(data) <= limit else None
    except UnicodeDecodeError:
        text = None
    parsed = None if text is None else _bodies(
        text.removeprefix(BOM) if p.start_offset == 0 else text, p.start_line)  # fmt: skip
    if parsed is None or text is None:
        return None
    bodies, line_nos = parsed
    out = b"".join(b.encode("utf-8") + b"\n" for b in bodies)
    n_lines = data.count(b"\n") + (not data.endswith(b"\n") and data != b"")
    return Chunk(memoryview(out), p.start_line + 1, p.start_offset + len(data),
                 p.start_line + text.count("\n"), p.size if p.is_gz else 0,
                 line_nos=tuple(line_nos), lines=n_lines)  # fmt: skip


def _bodies(text: str, line0: int) -> tuple[list[str], list[int]] | None:
    """The bodies of a text of JSON values, each on one line, with the numbers of the file's
    lines they start on (line0 lines come before the text); None if a value does not parse."""
    bodies: list[str] = []
    line_nos: list[int] = []
    pos, line, counted = 0, line0 + 1, 0

    def line_of(i: int) -> int:
        nonlocal line, counted
        line += text.count("\n", counted, i)
        counted = i
        return line

    while (pos := _skip_space(text, pos)) < len(text):
        start = pos
        try:
            value, pos = _DECODER.raw_decode(text, start)
        except (ValueError, RecursionError):
            return None
        if not (isinstance(value, list) and any(isinstance(v, dict) for v in value)):
            bodies.append(_one_line(text[start:pos]))
            line_nos.append(line_of(start))
            continue
        # An array of bodies, valid as a whole: each element in turn.
        at = _skip_space(text, start + 1)
        while text[at] != "]":
            _, stop = _DECODER.raw_decode(text, at)
            bodies.append(_one_line(text[at:stop]))
            line_nos.append(line_of(at))
            at = _skip_space(text, stop)
            at = _skip_space(text, at + 1) if text[at] == "," else at
    return bodies, line_nos


def _skip_space(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in JSON_WHITESPACE:
        pos += 1
    return pos


def _one_line(body: str) -> str:
    """A value's text on one line: a line end in JSON is whitespace, never inside a string."""
    return body.replace("\r", " ").replace("\n", " ")
