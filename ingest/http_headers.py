"""What the headers of an HTTP answer say to a pull: which version of a file it is (ETag,
Last-Modified) and how to ask for a later one, which part of it came (Content-Range), in which
encoding, and how long to wait before asking again (Retry-After). RFC 9110.
"""

from __future__ import annotations

import re
import time
from datetime import UTC
from email.utils import parsedate_to_datetime

import httpx

RETRY_AFTER_CAP = 300.0  # the longest Retry-After honoured, in seconds
# The first bytes of an answer looked at to tell a web page from a log or JSON: a page may
# start with blank lines (a template's), never with this many.
SNIFF_BYTES = 4096
_BOM = b"\xef\xbb\xbf"
# How a web page (or an XML error document) may start, in lower case: a doctype (blanks of any
# kind before its name), the <html> or <head> tag (HTML lets a page leave out <html>), a
# comment, an XML declaration (XHTML).
_HTML_STARTS = (b"<!doctype", b"<html", b"<head", b"<!--", b"<?xml")


def range_start(headers: httpx.Headers) -> int | None:
    """The first byte of a 206 part (Content-Range: bytes <first>-<last>/<size>)."""
    m = re.match(r"\s*bytes\s+(\d+)-", headers.get("content-range", ""))
    return int(m.group(1)) if m else None


def content_range(headers: httpx.Headers) -> tuple[int, int, int | None] | None:
    """A 206's part (Content-Range: bytes <first>-<last>/<size>, the size * when unknown), as
    (first, last, size); None when it says no such part."""
    m = re.fullmatch(r"\s*bytes\s+(\d+)-(\d+)/(\d+|\*)\s*", headers.get("content-range", ""))
    if m is None:
        return None
    return int(m.group(1)), int(m.group(2)), None if m.group(3) == "*" else int(m.group(3))


def part_problem(headers: httpx.Headers) -> str:
    """What is wrong with a 206's Content-Range, said for a message: numbers that do not hold
    together (a part that ends before it starts, or at or past the file's size, or another
    length than the body's Content-Length). "" when it holds together, or says none (taken as
    the part asked for). A size given as `*` (unknown, as RFC 9110 allows a log still being
    written) is no fault: the part is taken as the file so far, as a 206 that says none."""
    part = content_range(headers)
    if part is None:
        return ""
    first, last, total = part
    said = f"(bytes {first}-{last}/{'*' if total is None else total})"
    length = None if encoded(headers) else content_length(headers)
    past_end = total is not None and last >= total
    if last < first or past_end or length not in (None, last - first + 1):
        of = "" if length is None else f" with a body of {length:,} bytes"
        return f"{said}{of} does not hold together"
    return ""


def unsatisfied_size(headers: httpx.Headers) -> int | None:
    """The size a 416 says the file has (Content-Range: bytes */<size>); None if unsaid."""
    m = re.fullmatch(r"\s*bytes\s+\*/(\d+)\s*", headers.get("content-range", ""))
    return int(m.group(1)) if m else None


def content_length(headers: httpx.Headers) -> int | None:
    """The answer's Content-Length: the bytes on the wire (encoded, if it is), None if unsaid."""
    value = headers.get("content-length", "").strip()
    return int(value) if value.isdigit() else None


def encoded(headers: httpx.Headers) -> bool:
    """Whether the body comes in a Content-Encoding (gzip...), not as the file's own bytes."""
    return headers.get("content-encoding", "identity").strip().lower() not in ("", "identity")


def undecodable(headers: httpx.Headers, decodes: str) -> str:
    """The first coding of the answer's Content-Encoding that the client cannot undo, "" when
    none: decodes is what it can (httpx's own Accept-Encoding: gzip, deflate, and br or zstd
    with their libraries), and passes any other on as the bytes came. x-gzip is gzip (RFC 9110
    §8.4.1.3), its bytes then read as a gzip export's."""
    known = {c.strip().lower() for c in decodes.split(",")} | {"", "identity", "x-gzip"}
    said = (c.strip().lower() for c in headers.get("content-encoding", "").split(","))
    return next((c for c in said if c not in known), "")


def validator(headers: httpx.Headers) -> str:
    """What tells this version of the file from a later one: etag:<ETag>, last-modified:<date>,
    or "" without either (or with a Last-Modified that cannot tell)."""
    if "etag" in headers:
        return "etag:" + headers["etag"]
    if "last-modified" in headers and _settled(headers):
        return "last-modified:" + headers["last-modified"]
    return ""


def if_range(headers: httpx.Headers) -> str:
    """What an If-Range asks the rest of this version with (RFC 9110 §13.1.5): its ETag, when a
    strong one; else its Last-Modified, when strong (see _settled); "" when neither, as with a
    weak ETag (W/), which no If-Range may carry, nor a date beside it."""
    etag = headers.get("etag")
    if etag is not None:
        return "" if etag.lstrip().startswith("W/") else etag
    if "last-modified" in headers and _settled(headers):
        return headers["last-modified"]
    return ""


def _settled(headers: httpx.Headers) -> bool:
    """Whether Last-Modified is a second or more before the answer's Date: a file written again
    within that second keeps its Last-Modified, so a later one is not told apart by it (a weak
    validator, RFC 9110 §8.8.2.2); nor is one without a Date. Either may come in any of the
    three forms a recipient must take (RFC 9110 §5.6.7), asctime's without a zone: GMT."""
    modified = _instant(headers.get("last-modified", ""))
    sent = _instant(headers.get("date", ""))
    return modified is not None and sent is not None and sent - modified >= 1


def conditional(validator: str) -> dict[str, str]:
    """The request header asking for the file only if changed since a stored validator."""
    kind, _, value = validator.partition(":")
    if kind == "etag":
        return {"If-None-Match": value}
    if kind == "last-modified":
        return {"If-Modified-Since": value}
    return {}


def html_page(headers: httpx.Headers, first: bytes) -> bool:
    """An HTML answer: labelled text/html and starting with a tag (a log line starts with {),
    or, whatever its label (none, text/plain...), starting as an HTML document does."""
    return html_start(headers, first) is True


def html_start(headers: httpx.Headers, first: bytes, at_start: bool = True) -> bool | None:
    """html_page of an answer whose first bytes are `first`, or None when they cannot tell yet:
    only blank so far (whitespace, a BOM or part of one), or the start of an HTML document's
    first tag (a body sent slowly comes a few bytes at a time, or is cut after them).

    at_start: the bytes are the file's first. A log line starts with `{` and a gzip file with its
    magic number, so whatever its label an answer starting with `<` there is a page (or an XML
    error document), not a log. From the middle of a file (a later pull's Range starts a few
    KiB before the offset read, within a line) a message's text may put `<` first: only the
    start of an HTML document tells a page there (its label aside)."""
    if _BOM.startswith(first):
        return None
    head = first.removeprefix(_BOM).lstrip()
    if not head:
        return None
    if at_start or "html" in headers.get("content-type", "").lower():
        return head[:1] == b"<"
    said = head[:9].lower()
    if said.startswith(_HTML_STARTS):
        return True
    return None if any(start.startswith(said) for start in _HTML_STARTS) else False


def retry_after(headers: httpx.Headers, cap: float = RETRY_AFTER_CAP) -> float:
    """A Retry-After in seconds, given as seconds or as the HTTP date to wait until (RFC 9110
    §10.2.3), at most cap; 0 when absent, not either, or a date past."""
    value = headers.get("retry-after", "").strip()
    # [0-9], not str.isdigit(): a header is latin-1 text, and '²' (0xb2) is a digit to Python.
    if re.fullmatch(r"[0-9]+", value):
        return min(float(value), cap)
    until = _instant(value)
    if until is None:
        return 0.0
    # Counted from the answer's Date, on the server's clock as the date is, when it has one.
    now = _instant(headers.get("date", ""))
    return min(max(until - (time.time() if now is None else now), 0.0), cap)


def _instant(value: str) -> float | None:
    """An HTTP date as a Unix time (one without a zone, -0000, is UTC); None when not one."""
    try:
        when = parsedate_to_datetime(value)
        return (when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp()
    except (TypeError, ValueError, OverflowError):
        return None
