"""A log that holds JSON documents, not one body per line → chunks of one body per line.

Meta's samples and public fixtures are pretty-printed files holding one webhook body (or an
envelope, or an insights page), or a JSON array of bodies. A file whose first line opens a
value that spans lines, or whose first line is an array of objects, is read whole: each
top-level object is a body, and so is each element of a top-level array holding objects,
under the number of the line it starts on. Anything else (NDJSON, a .gz of it, a pulled input)
is read line by line by sources.read_chunks. A document that does not parse is one reject
(not one per line), and is read again only once the file changes.
"""

from __future__ import annotations

import gzip
import json
import zlib
from collections.abc import Iterator
from dataclasses import replace

from . import sources
from .file_marks import identity_of
from .reasons import BOM, JSON_WHITESPACE
from .sources import Chunk, Plan

# Of a file's start: a document's first line is short; a longer one is a line of NDJSON.
PEEK_BYTES = 16 * 1024
UNFINISHED_DOCUMENT = "unfinished JSON document (read again once the file changes)"
_DECODER = json.JSONDecoder()


def read_chunks(p: Plan, chunk_bytes: int | None = None) -> Iterator[Chunk]:
    """sources.read_chunks, with a file of JSON documents read as its bodies."""
    limit = chunk_bytes or sources.batch_bytes()
    if p.name is not None or not _starts_document(p):
        yield from sources.read_chunks(p, limit)
        return
    data = _read_rest(p, limit)
    if data is None:  # unreadable as a whole (a .gz cut short, not UTF-8): line by line
        yield from sources.read_chunks(p, limit)
        return
    yield from _document_chunks(p, data, limit)


def _starts_document(p: Plan) -> bool:
    """Whether the file's first non-blank line opens a value it does not close (a pretty-printed
    object or array), or is an array holding an object."""
    try:
        with (gzip.open if p.is_gz else open)(p.path, "rb") as fh:
            head = fh.read(PEEK_BYTES)
    except (OSError, EOFError, zlib.error):
        return False  # the line reader says what is wrong with it
    for line in head.split(b"\n")[:-1]:  # whole lines only: a last one may be unfinished
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
            return True
        except RecursionError:
            return False
        return isinstance(value, list) and any(isinstance(v, dict) for v in value)
    return False


def _read_rest(p: Plan, limit: int) -> bytes | None:
    """The unread part of the file (at most limit + 1 bytes), or None when it cannot be read
    whole."""
    try:
        with (gzip.open if p.is_gz else open)(p.path, "rb") as fh:
            if p.identity is not None and identity_of(fh.fileno()) != p.identity:
                return None  # the line reader says it was replaced
            sources._skip(fh, p.start_offset, p.is_gz)
            return fh.read(limit + 1)
    except (OSError, EOFError, zlib.error):
        return None


def _document_chunks(p: Plan, data: bytes, limit: int) -> Iterator[Chunk]:
    first_line = p.start_line + 1
    disk_at = p.size if p.is_gz else 0
    if len(data) > limit:
        if _holds_lines(data[:limit].decode("utf-8", "replace"), 0):
            yield from sources.read_chunks(p, limit)  # one body per line, its first broken
            return
        why = (
            f"a JSON document of more than {limit:,} bytes (the batch size): convert it to "
            "one body per line, e.g. `jq -c '.[]'`, or raise REFSCOPE_INGEST_BATCH"
        )
        yield Chunk(memoryview(b""), first_line, p.start_offset, p.start_line, disk_at,
                    rejected=((first_line, why, ""),))  # fmt: skip
        return
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        yield from sources.read_chunks(p, limit)  # each line's fault named
        return
    if p.start_offset == 0:
        text = text.removeprefix(BOM)
    bodies, line_nos, failed = _bodies(text, p.start_line)
    if failed is None:
        end, lines_done = len(data), p.start_line + text.count("\n")
    else:
        lines_done, start, why = failed
        end = _line_offset(data, lines_done - p.start_line)
    rest_is_lines = failed is not None and _holds_lines(text, failed[1])
    rejected: tuple[tuple[int, str, str], ...] = ()
    if failed is not None and not rest_is_lines:
        rejected = ((lines_done + 1, why, text[start:].rstrip(JSON_WHITESPACE)),)
    out = b"".join(b.encode("utf-8") + b"\n" for b in bodies)
    covered = data if rejected else data[:end]  # the lines read (a rejected document's too)
    n_lines = covered.count(b"\n") + (not covered.endswith(b"\n") and covered != b"")
    yield Chunk(memoryview(out), first_line, p.start_offset + end, lines_done, disk_at,
                line_nos=tuple(line_nos), lines=n_lines, rejected=rejected)  # fmt: skip
    if rest_is_lines:
        # A log of one body per line whose first line is broken: its lines, one by one.
        yield from sources.read_chunks(
            replace(p, start_offset=p.start_offset + end, start_line=lines_done), limit
        )


def _bodies(text: str, line0: int) -> tuple[list[str], list[int], tuple[int, int, str] | None]:
    """The bodies of a text of JSON values, each on one line, with the numbers of the file's
    lines they start on (line0 lines come before the text); and, if a value does not parse,
    (the lines before the one it starts on, where it starts in text, why)."""
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
        except (ValueError, RecursionError) as exc:
            return bodies, line_nos, (line_of(start) - 1, start, _why(exc, line0))
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
    return bodies, line_nos, None


def _why(exc: Exception, line0: int) -> str:
    if isinstance(exc, RecursionError):
        return "invalid JSON document: nested too deeply (1,000 levels or more)"
    if not isinstance(exc, json.JSONDecodeError):
        return f"invalid JSON document: {exc}"
    rest = exc.doc[exc.pos :]
    unfinished = not rest.strip(JSON_WHITESPACE) or (
        exc.msg.startswith("Unterminated string") and '"' not in rest[1:]
    )
    where = f"{exc.msg.removesuffix(' at')} at line {line0 + exc.lineno} column {exc.colno}"
    return f"{UNFINISHED_DOCUMENT}: {where}" if unfinished else f"invalid JSON document: {where}"


def _holds_lines(text: str, start: int) -> bool:
    """Whether, past the line a broken value starts on, a line at the margin is a JSON value
    alone: a log of one body per line, not a document (whose inner lines are indented, and
    whose closing line alone is no value), or a broken line alone at the end."""
    rest = text[start:].rstrip(JSON_WHITESPACE).split("\n")
    if len(rest) == 1:
        return True
    for line in rest[1:]:
        if line[:1] in ("{", "[", '"') or line[:1].isdigit():
            try:
                json.loads(line)
            except (ValueError, RecursionError):
                continue
            return True
    return False


def _skip_space(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in JSON_WHITESPACE:
        pos += 1
    return pos


def _one_line(body: str) -> str:
    """A value's text on one line: a line end in JSON is whitespace, never inside a string."""
    return body.replace("\r", " ").replace("\n", " ")


def _line_offset(data: bytes, lines_before: int) -> int:
    """The byte offset of the line after lines_before line ends."""
    at = 0
    for _ in range(lines_before):
        at = data.index(b"\n", at) + 1
    return at
