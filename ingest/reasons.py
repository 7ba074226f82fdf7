"""Why a line is rejected: a specific reason for the rare line DuckDB could not turn into events.

Runs only on rejected lines, in Python, so that a team reads "entry is not a list" rather than
"malformed". Knows the delivery envelope; the item fields are judged in SQL (webhook.py).
"""

from __future__ import annotations

import ast
import json
import re
from typing import Any

from . import body_bytes, strict_json, wide_ends
from .body_bytes import BYTES_KEY
from .privacy import without_tokens
from .wide_ends import BE, LE
from .wide_ends import zero_paired as _zero_paired
from .wording import counted

BOM = "\ufeff"
JSON_WHITESPACE = " \t\r\n"  # the only whitespace JSON allows around a value
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


def is_blank(raw: str) -> bool:
    """Whether the line holds nothing but JSON whitespace, after a byte order mark if any (an
    empty file saved by a Windows tool is the mark alone)."""
    return not raw.removeprefix(BOM).strip(JSON_WHITESPACE)


def repair(raw: str) -> str | None:
    """The line without a leading byte order mark (a log saved by a Windows tool; RFC 8259 lets a
    parser ignore it) and with unpaired UTF-16 surrogate escapes (legal JSON that DuckDB's
    reader refuses) replaced by U+FFFD, or None when that is not what is wrong with it."""
    unmarked = raw.removeprefix(BOM)
    surrogates = _SURROGATE_ESCAPE.search(unmarked)
    if unmarked == raw and not surrogates:
        return None
    try:
        doc = strict_json.loads(unmarked.strip(JSON_WHITESPACE))
    except (ValueError, RecursionError):
        return None  # rejected as it came, mark and all
    if not surrogates:
        return unmarked
    fixed = json.dumps(_replace_surrogates(doc), ensure_ascii=False, separators=(",", ":"))
    return fixed if fixed != raw else None


def after_utf16_end(raw: str) -> str | None:
    """raw without its first byte, a zero that is the rest of the line end before it, or None
    when raw does not start so or is no JSON text without it (rejected as it came). A line of
    UTF-16LE text (a log PowerShell 5's `>` wrote, or text its `>>` appended to a UTF-8 one) is
    cut after the 0x0A of its line end `0A 00`, so a UTF-8 line written after it starts with
    that zero byte (the caller knows the line before is UTF-16 text). Mended by repair too."""
    if not raw.startswith("\x00"):
        return None
    rest = raw[1:]
    return repair(rest) or (rest if is_json_text(rest.strip(JSON_WHITESPACE)) else None)


def _replace_surrogates(v: Any) -> Any:
    if isinstance(v, str):
        return v.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    if isinstance(v, list):
        return [_replace_surrogates(x) for x in v]
    if isinstance(v, dict):
        return {_replace_surrogates(k): _replace_surrogates(x) for k, x in v.items()}
    return v


# A file's last line without its newline: most likely its writer is still at it.
UNFINISHED = "unfinished last line (no newline yet; read again once it has one)"
UTF16 = "UTF-16 text, not UTF-8: save the log as UTF-8"  # PowerShell 5's `>` writes UTF-16


def is_utf16(raw: str | bytes) -> bool:
    """Whether the line (its bytes, or its text read as UTF-8) is a line of UTF-16 text: it
    starts as UTF-16 text does (_zero_paired), the zero byte before its first character the
    previous line end's when little-endian."""
    line = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw
    text = line.rstrip(b"\r\n")
    return len(text) >= 2 and bool(_zero_paired(text))


def starts_utf16(head: bytes) -> bool:
    """Whether a file that starts so is UTF-16 text (utf16_order)."""
    return bool(utf16_order(head))


def utf16_order(head: bytes) -> str:
    """The byte order of UTF-16 text that starts so (wide_ends.LE or BE), "" for other text:
    its byte order mark (FF FE little-endian, FE FF big-endian), or a start as UTF-16 text's
    (_zero_paired)."""
    if head.startswith(b"\xff\xfe"):
        return LE
    if head.startswith(b"\xfe\xff"):
        return BE
    return _zero_paired(head)


def utf16_order_before(before: bytes, end: int) -> str:
    """The byte order of UTF-16 text (as utf16_order) whose bytes before offset end, a line
    end a run recorded, end so (before: a pulled log's bytes asked for again); "" for other
    text. Such a line end is at an odd offset of little-endian text, an even one of big-endian
    (wide_ends): the last line before it, found so, tells (is_utf16)."""
    if end == len(before):  # the text's start: its byte order mark, or its first characters
        order = utf16_order(before)
        if order:
            return order
    order = LE if end % 2 else BE
    ends = wide_ends.line_ends(before, end - len(before), order, lines=False)
    prior = ends[ends < len(before)]
    return order if is_utf16(before[int(prior[-1]) if len(prior) else 0 :]) else ""


_NO_USABLE_EVENT = "no usable event in delivery"
# What a well-formed line whose items were not read is told: never the reason for a body that
# another receiver kept as a string of JSON (its items were not read because it is a string).
_UNREAD = (
    _NO_USABLE_EVENT,
    "send log without usable fields",
    "click log line without usable fields",
)


def explain_reject(raw: str, item_problem: str | None, good_events: int) -> str:
    """A specific reason for a line that DuckDB could not turn (wholly) into events."""
    if is_utf16(raw):
        return UTF16
    # A leading byte order mark is read as if absent (see repair): the fault is what follows.
    text = raw.removeprefix(BOM)
    try:
        doc = strict_json.loads(text.strip(JSON_WHITESPACE))
    except RecursionError:
        # Well-formed, maybe, but no delivery nests this deep: Python's parser stops at ~1,000.
        return "invalid JSON: nested too deeply (1,000 levels or more)"
    except json.JSONDecodeError as exc:
        # Where, counted in characters of the line as it came, mark included (1 is its first).
        at = exc.pos + len(raw) - len(text.lstrip(JSON_WHITESPACE)) + 1
        return f"invalid JSON: {exc.msg.removesuffix(' at')} at character {at}"
    except ValueError as exc:
        return f"invalid JSON: {exc}"
    if not isinstance(doc, dict):
        return f"not an object: a JSON {_json_type(doc)}"
    whole = doc
    if "body" in doc and "received_at" in doc:
        body = doc["body"]
        if isinstance(body, str):
            # The receiver keeps a body that is not JSON as a string: say what is wrong with it.
            what = "envelope body is not an object but a string"
            if BYTES_KEY in doc:  # the body's bytes, as the receiver keeps one that is no UTF-8
                if said := body_bytes.reason(doc[BYTES_KEY]):
                    return said
            elif _ESCAPED_BYTE.search(body) and not is_json_text(body):
                # An older receiver's line: `\xNN` may be a byte or the characters.
                return f"{what}: not UTF-8 (kept with \\x escapes)"
            said = explain_reject(body, None, 0)
            if said in _UNREAD:
                # A well-formed line kept as text by another receiver: its items were never read,
                # so "no usable event" would blame them; the string is what is wrong.
                return f"{what} of JSON: log the body as an object"
            return f"{what}: {said}"
        if not isinstance(body, dict):
            return f"envelope body is not an object but a JSON {_json_type(body)}"
        if "body" in body and "received_at" in body:
            return "envelope inside an envelope: its body must be the POST body Meta sent"
        doc = body
    elif "received_at" in doc and "entry" not in doc:
        return "envelope without body"
    obj = doc.get("object")
    if obj == "refscope_click" and doc is not whole and not item_problem:
        # Its fields were never read: a click line is read bare, as the receiver logs it.
        return "click log line inside an envelope: log each click bare, as refscope serve does"
    if obj in ("send_api", "refscope_click"):
        kind = "send log" if obj == "send_api" else "click log line"
        return item_problem or f"{kind} without usable fields"
    if obj is not None and obj != "page":
        return f"unsupported object {quoted_name(obj)}: refscope reads Page webhooks"
    if item_problem:
        prefix = "partly rejected: " if good_events else ""
        return prefix + item_problem
    if "entry" not in doc and "field" in doc and doc.get("value") is None:
        # A wrapped sample ({"field": ..., "value": {...}}) whose item is missing.
        return "sample without value"
    if "entry" not in doc and isinstance(doc.get("error"), dict):
        # Meta's error answer, saved by an export or curl in place of an insights page.
        err = doc["error"]
        # Without a token it quotes (Meta's answer to a malformed one), then cut.
        said = without_tokens(str(err.get("message")))[:200]
        code = err.get("code")  # Meta's is a number: anything else is said, not quoted
        shown = f"code {code}" if type(code) is int or code is None else f"code: {described(code)}"
        return f"Graph API error answer, no insights: {said} ({shown})"
    if "entry" not in doc:
        return "no entry list"
    entries = doc["entry"]
    if not isinstance(entries, list):
        return f"entry is not a list but a JSON {_json_type(entries)}"
    if not entries:
        return "empty entry list"
    broken = items_problem(_broken_entries(entries))  # each broken entry, as items are named
    if broken:
        return broken
    if (
        good_events == 0
        and raw.strip()
        and all(not any(e.get(k) for k in ("messaging", "standby", "changes")) for e in entries)
    ):
        return "no messaging, standby or changes items"
    return _NO_USABLE_EVENT


# How the receiver writes a byte that is not UTF-8 (Python's backslashreplace).
_ESCAPED_BYTE = re.compile(r"\\x[0-9a-f]{2}")


def entry_problems(raw: str) -> list[str]:
    """What is wrong with each broken entry of a delivery (one that is not an object, or whose
    item list is not a list), in their order; none when none is."""
    try:
        doc = strict_json.loads(raw.strip(JSON_WHITESPACE))
    except (ValueError, RecursionError):
        return []
    if isinstance(doc, dict) and isinstance(doc.get("body"), dict) and "received_at" in doc:
        doc = doc["body"]
    entries = doc.get("entry") if isinstance(doc, dict) else None
    return _broken_entries(entries) if isinstance(entries, list) else []


def _broken_entries(entries: list[Any]) -> list[str]:
    found = []
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict):
            found.append(f"entry[{i}] is not an object")
            continue
        for key in ("messaging", "standby", "changes"):
            # A null list (a re-serialising receiver's empty one) holds no items: none is lost.
            if entry.get(key) is not None and not isinstance(entry[key], list):
                found.append(f"entry[{i}].{key} is not a list")
    return found


_ENTRY_AT = re.compile(r"entry\[(\d+)\]")


def in_entry_order(problems: list[str]) -> list[str]:
    """Items' and entries' problems by the entry they are in (an item's before its entry's)."""

    def at(problem: str) -> int:
        m = _ENTRY_AT.match(problem)
        return int(m.group(1)) if m else -1

    return sorted(problems, key=at)


def is_json_text(text: str) -> bool:
    """Strict JSON text: no NaN or Infinity, which Python's reader would take (a key given
    twice is no matter here: the receiver asks of every body it is sent)."""
    try:
        json.loads(text, parse_constant=strict_json.no_constant)
    except (ValueError, RecursionError):
        return False
    return True


# What an object name looks like (`instagram`, `whatsapp_business_account`): short, lowercase
# letters, digits and underscores, no run of 5 digits (an id).
_NAME = re.compile(r"(?!.*\d{5})[a-z][a-z0-9_]{0,39}")


def quoted_name(value: object) -> str:
    """value quoted when it looks like a name (_NAME), else what it is, in brackets, without its
    content: a reason must not carry whatever a line held there (a person's id or words)."""
    if isinstance(value, str) and _NAME.fullmatch(value):
        return repr(value)
    return f"({described(value)})"


# An `unsupported object` reason, maybe inside a string body's (explain_reject): older refscopes
# quoted the object whole, as Python's repr, whatever it held.
_OBJECT_REASON = re.compile(
    r"((?:envelope body is not an object but a string: )*unsupported object )(.+)"
    r"(: refscope reads Page webhooks)",
    re.DOTALL,
)


def object_reason_now(reason: str) -> str:
    """reason in today's words when it is an `unsupported object` one that quotes the object
    as an older refscope did: its value read back from the quote and said as quoted_name says
    it (one that cannot be read back, cut or changed since, as `(a value)`); any other reason,
    one in today's words too, as it is."""
    m = _OBJECT_REASON.fullmatch(reason)
    if m is None or m[2].startswith("("):  # no repr of a JSON value starts so: today's words
        return reason
    try:
        shown = quoted_name(ast.literal_eval(m[2]))
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        shown = "(a value)"
    return f"{m[1]}{shown}{m[3]}"


def described(value: object) -> str:
    """What a JSON value is, without its content: 'a string of 312 characters', 'a number'."""
    if isinstance(value, str):
        return f"a string of {counted(len(value), 'character')}"
    kind = _json_type(value)
    return f"{'an' if kind[0] in 'ao' else 'a'} {kind}"


def _json_type(v: object) -> str:
    return {list: "array", str: "string", bool: "boolean", dict: "object"}.get(
        type(v), "null" if v is None else "number"
    )


# A line's malformed items named in its reason at the most; the rest are counted.
ITEMS_NAMED = 5


def items_problem(problems: list[str] | None) -> str | None:
    """One reason for a line's malformed items: each named with its problem, in their order
    ("entry[0].messaging[0]: message without mid; entry[0].messaging[2]: no sender id")."""
    if not problems:
        return None
    more = len(problems) - ITEMS_NAMED
    rest = [counted(more, "more malformed item")] if more > 0 else []
    return "; ".join(problems[:ITEMS_NAMED] + rest)


def family(reason: str) -> str:
    """Group reasons for the summary: 'invalid JSON: Expecting ...' counts as 'invalid JSON',
    'invalid UTF-8 at byte 29' as 'invalid UTF-8'."""
    if reason.startswith("data["):  # an ad insights page's row ("data[3]: "): its problem
        return _first(reason.split("]: ", 1)[-1])
    if reason.startswith("entry[") or reason.startswith("partly rejected"):
        reason = reason.split("; ", 1)[0]  # a line's first malformed item names its family
        if "]: " not in reason:
            return reason
        # The item's position goes ("entry[0].messaging[1]: "); a partial reject stays apart.
        partly = "partly rejected: " if reason.startswith("partly rejected") else ""
        return partly + reason.rsplit("]: ", 1)[-1]
    if reason.startswith("value: "):  # a wrapped sample's item: its problem, as for an item's
        return _first(reason.removeprefix("value: "))
    if reason.startswith("invalid UTF-8 at byte "):
        return "invalid UTF-8"
    if reason.startswith("unsupported object "):  # one per object name would flood the summary
        return "unsupported object"
    return _first(reason.split(":", 1)[0])


def _first(reason: str) -> str:
    """Of the reasons of an array's bodies rejected on one line, joined by '; ' ('no entry
    list; not an object: ...'), the first, which names the line's family as a line's first
    malformed item does; a '; ' inside parentheses is part of one reason ('(no newline yet;
    ...)')."""
    first = reason.split("; ", 1)[0]
    return first if first.count("(") == first.count(")") else reason
