"""A rejected line read string by string, valid JSON or not: its tokens, which strings are
message or comment text, the placeholder that replaces one, and a forgotten person's texts.

A rejected line may be cut off, or hold a body the receiver kept as a JSON string: the scan
never parses it whole, so a truncated line or a stray bracket only affects what follows it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator

from .comment_ids import is_comment_id
from .shared_contact import removed, removed_start

FORGOTTEN = "<forgotten>"  # what a forgotten person's id becomes in a rejected line

# One JSON string. An escape is taken whole, so an escaped quote does not end the string; a
# string cut off by the end of a truncated line (even inside an escape) runs to the end.
_STRING = r'"(?:[^"\\]|\\.)*(?:"|\\?\Z)'
# The tokens that give a string its key and its enclosing object. A line is scanned left to
# right, string by string, so nothing inside a string is ever read as structure.
TOKENS = re.compile(
    rf"(?P<key>{_STRING})\s*:|(?P<value>{_STRING})|(?P<open>[{{\[])|(?P<close>[}}\]])|(?P<sep>,)",
    re.DOTALL,
)
_STRING_PARTS = re.compile(r'"((?:[^"\\]|\\.)*)(\\?)("?)', re.DOTALL)  # text, cut escape, end
_CUT_ESCAPE = re.compile(r"\\u[0-9a-fA-F]{0,3}\Z")
_BARE_FORGOTTEN = re.compile(rf"(?<![\w\"]){re.escape(FORGOTTEN)}(?![\w\"])")  # outside a string
_PLACEHOLDER = re.compile(r"<text removed: \d+ characters?(, cut off)?>")
# The arrays whose elements are one person's items: a messaging item, a Page field's change.
_ITEMS = frozenset({"messaging", "standby", "changes"})
# A shared location's numbers (an attachment's payload.coordinates): what a person sent, as
# its text is.
COORDINATE_KEYS = frozenset({"lat", "long"})
NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")
# A Send API recipient reached by phone number (`{"phone_number": ..., "name": {"first_name":
# ..., "last_name": ...}}`): who the person is, as their id.
NAME_PARTS = frozenset({"first_name", "last_name"})
NAME_REMOVED = "<name removed>"  # a person's name (see is_name) in a salted rejected line


def is_name(key: str | None, parent: str | None) -> bool:
    """Whether a string value is a person's name, by its key and its object's key (see
    parent_key): a commenter's (`from.name`), a send's recipient's (`name.first_name`,
    `name.last_name`), a page rating's reviewer's (a `ratings` change's `reviewer_name`)."""
    return (
        (key == "name" and parent == "from")
        or (key in NAME_PARTS and parent == "name")
        or (key == "reviewer_name" and parent == "value")
    )


# A long number as a salted rejected line shows it (privacy.Privacy.shown_id), and digits as
# many as the shortest number shown so: a phone number read so is still one for `forget`.
_SHOWN_ID = re.compile(r"id:[0-9a-f]{16}")
_SHOWN_DIGITS = "0" * 10


def shared_contact(
    token: str, key: str | None, parent: str | None, text: str | None = None
) -> str | None:
    """What replaces a quick reply's payload that is the person's email address or phone number
    (a `user_email` or `user_phone_number` quick reply sends it there, as in the text), as a
    JSON string; None for any other value. A phone number's long run of digits may show hashed
    already (`+id:…`, salted with text kept): it still counts. A payload that the line's end
    cuts off counts when what is left is the start of one (shared_contact.removed_start), or
    the start of the text of its message (`text`, as the line held it: the quick reply posts
    the address or number as the text too) when that text is one."""
    if key != "payload" or parent != "quick_reply":
        return None
    value, _, closed = parts(token)
    if value is None:
        return None
    value = _SHOWN_ID.sub(_SHOWN_DIGITS, value)
    if closed:
        shown = removed(value)
    else:  # cut off by the line's end
        start = value.strip(" \t\r\n")
        same = text is not None and start != "" and text.strip(" \t\r\n").startswith(start)
        shown = (removed(text) if same else None) or removed_start(value)
    return None if shown is None else json.dumps(shown)


def is_text(key: str | None, parent: str | None) -> bool:
    """Whether a string value is a message's or a comment's text, by its key and the key of the
    object holding it (see parent_key): `text` (messages, echoes, send logs), a feed change's
    `value.message` and the link to the photo or video a comment came with (`value.photo`,
    `value.video`) or a post was made with (`value.link`: a visitor's photo or shared link),
    a page rating's `value.review_text`, an attachment's `payload.url` (the
    photo, video, audio or file a person sent) and an attachment's own `url` and `title` (a
    shared location's map link, which holds its coordinates, and its title, which can hold the
    sender's name; a fallback's shared link and its title), and the answer a person typed to a
    customer feedback form's free-form follow-up (`messaging_feedback`: a question's
    `follow_up.payload`; its score, the question's own `payload`, is no text)."""
    return (
        key == "text"
        or (key in _CHANGE_TEXTS and parent == "value")
        or (key == "url" and parent == "payload")
        or (key in ("url", "title") and parent == ATTACHMENT)
        or (key == "payload" and parent == "follow_up")
    )


def is_message_id(key: str | None, parent: str | None) -> bool:
    """Whether a string value is a message id (a mid): a message's, postback's, reaction's or
    reply's `mid`, an element of a delivery's `mids`, a Send API response's `message_id`."""
    return key in ("mid", "message_id") or (key is None and parent == "mids")


ATTACHMENT = "attachments[]"  # parent_key of an element of an `attachments` array
# What a person wrote or sent in a Page change (its `value`): a comment's text and its photo or
# video, a post's photo or shared link, a page rating's review.
_CHANGE_TEXTS = frozenset({"message", "photo", "video", "link", "review_text"})


def parent_key(opened: list[Opened]) -> str | None:
    """The key of the object a value is in: the key it is the value of, or, for an object that
    is an element of an array, the array's key and `[]` (`attachments[]`)."""
    if not opened:
        return None
    key, bracket, _ = opened[-1]
    if key is None and bracket == "{" and len(opened) > 1 and opened[-2][1] == "[":
        outer = opened[-2][0]
        return f"{outer}[]" if outer is not None else None
    return key


def placeholder(token: str) -> str:
    """What replaces a removed text: its length keeps the line accountable, and a text that the
    line cuts off says so."""
    value, body, closed = parts(token)
    n = len(value if value is not None else body)
    cut = "" if closed else ", cut off"
    return json.dumps(f"<text removed: {n} character{'' if n == 1 else 's'}{cut}>")


def decode(token: str) -> str | None:
    """A string token's value, or None (see parts)."""
    return parts(token)[0]


def parts(token: str) -> tuple[str | None, str, bool]:
    """A string token's value (None if it holds an escape JSON does not have), its text between
    the quotes, and whether it is closed. Of a string cut off by the end of the line, the value
    is what there is, without an escape the cut split."""
    m = _STRING_PARTS.fullmatch(token)
    assert m is not None, token  # a token matched _STRING
    body, closed = m.group(1), bool(m.group(3))
    if not closed:
        body = _CUT_ESCAPE.sub("", body)
    try:
        value = json.loads(f'"{body}"', strict=False)
    except ValueError:
        value = None
    return value, body, closed


# An open container: the key it is the value of, its bracket, its offset in the line.
Opened = tuple[str | None, str, int]


def walk(line: str) -> Iterator[tuple[re.Match[str] | None, str | None, list[Opened]]]:
    """Each token of line, then None for the text after the last one, with the key it is the
    value of (a key holds until a token other than a value) and the containers open around it,
    outermost first (the list changes as the walk goes on: read it before the next token). A
    truncated line or a stray bracket only affects what follows it."""
    opened: list[Opened] = []
    key: str | None = None
    for m in TOKENS.finditer(line):
        yield m, key, opened
        kind = m.lastgroup
        if kind == "value":
            continue
        if kind == "key":
            key = decode(m.group("key"))
            continue
        if kind == "open":
            opened.append((key, m.group(), m.start()))
        elif kind == "close" and opened:
            opened.pop()
        key = None
    yield None, key, opened


def _item(opened: list[Opened]) -> int:
    """The offset of the outermost item (an element of `messaging`, `standby` or `changes`)
    among the open containers, or -1 outside every item."""
    for outer, inner in zip(opened, opened[1:], strict=False):
        if outer[1] == "[" and outer[0] in _ITEMS:
            return inner[2]
    return -1


def without_forgotten_texts(line: str, within: str | None = None, whole: bool = False) -> str:
    """line with the texts of a forgotten person as placeholders: each text of an item (an
    element of `messaging`, `standby` or `changes`) that holds FORGOTTEN, and every text of a
    line that holds it outside such an item (a send log) or of a text outside the items of a
    line that holds it at all (and a quick reply's payload that is an email address or a
    phone number, see shared_contact) and each message or comment id there (is_message_id,
    comment_ids.is_comment_id) FORGOTTEN;
    a shared location's `lat` and `long` there become null,
    the `name` of a `from` object holding FORGOTTEN FORGOTTEN (and so do a send's recipient's
    `phone_number` and `name` parts there), and a FORGOTTEN outside any
    string (an id that came as a number) a JSON string. A JSON document kept as a string (a
    body the receiver could not parse, a form-encoded send's `recipient` or `message`) is read
    the same way inside, as the value of its key (within); where the line's texts are the
    person's, so are all of one that holds no FORGOTTEN of its own (whole)."""
    if FORGOTTEN not in line and not whole:
        return line
    # First pass: each value with its key, the key of the object holding it and its item, and
    # which items hold the mark (-1: outside every item); and the numbers of a shared
    # location (bare, between tokens) with their item.
    # (a value, its key, its parent's key, its item, the offsets of its object and the one
    # around that)
    values: list[tuple[re.Match[str], str | None, str | None, int, int, int]] = []
    gaps: list[tuple[int, int, str | None, int]] = []  # text between tokens: start, end, key, item
    held: set[int] = set()
    holders: set[int] = set()  # the offsets of the objects holding the mark (a `from`)
    done = 0
    for m, key, opened in walk(line):
        item = _item(opened)
        end = len(line) if m is None else m.end()
        if FORGOTTEN in line[done:end]:
            held.add(item)
            holders.add(opened[-1][2] if opened else -1)
        start = end if m is None else m.start()
        if start > done and (key in COORDINATE_KEYS or FORGOTTEN in line[done:start]):
            gaps.append((done, start, key, item))
        done = end
        if m is not None and m.lastgroup == "value":
            parent = parent_key(opened) if len(opened) > 1 else within
            values.append((m, key, parent, item, *container_offsets(opened)))
    everywhere = whole or -1 in held  # the mark outside every item: no text is anyone else's

    def theirs(item: int) -> bool:
        return everywhere or item in held or item < 0

    edits = [(start, end, _bare(line[start:end], key, theirs(item)))
             for start, end, key, item in gaps]  # fmt: skip
    texts = {at: decode(m.group()) for m, key, _, _, at, _ in values if key == "text"}
    edits += [(m.start(), m.end(), _value(m.group(), key, parent, theirs(item), at in holders,
                                          texts.get(outer)))
              for m, key, parent, item, at, outer in values]  # fmt: skip
    return spliced(line, edits)


def _bare(text: str, key: str | None, theirs: bool) -> str:
    """Text between the tokens of a line holding FORGOTTEN: a forgotten id that came as a JSON
    number, blanked, made a JSON string (a line that was JSON stays JSON, as a line read after
    the forget shows it), and the numbers of the person's shared location null."""
    text = _BARE_FORGOTTEN.sub(json.dumps(FORGOTTEN), text)
    return NUMBER.sub("null", text) if theirs and key in COORDINATE_KEYS else text


def container_offsets(opened: list[Opened]) -> tuple[int, int]:
    """The offsets of the innermost open container and of the one around it (-1: none)."""
    return (opened[-1][2] if opened else -1, opened[-2][2] if len(opened) > 1 else -1)


def _value(token: str, key: str | None, parent: str | None, theirs: bool, marked: bool,
           said: str | None) -> str:  # fmt: skip
    """One string value of a line holding FORGOTTEN; theirs: it may be the person's text;
    marked: its object holds FORGOTTEN (a comment's `from`, whose `name` is then theirs, also
    when the line ends inside it, which privacy.FORGOTTEN_NAMES cannot see), so its item does
    and marked implies theirs; said: the text of the object around its own (a quick reply's
    message's, see shared_contact)."""
    text = decode(token)
    if text is not None and text.lstrip(" \t\r\n").startswith(("{", "[")):
        # A JSON document kept as a string: a body, a form-encoded send's recipient or message.
        inner = without_forgotten_texts(text, key, theirs and FORGOTTEN not in text)
        return json.dumps(inner, ensure_ascii=False) if inner != text else token
    if marked and is_name(key, parent):  # its name parts: FORGOTTEN below too (theirs)
        return json.dumps(FORGOTTEN)
    if theirs and ((key == "phone_number" and parent == "recipient")
                   or (key in NAME_PARTS and parent == "name")):  # fmt: skip
        return json.dumps(FORGOTTEN)  # a send's recipient: their number and name
    if theirs and (is_message_id(key, parent) or is_comment_id(key, parent, text)):
        return json.dumps(FORGOTTEN)  # Graph gives a message's or comment's people by its id
    if theirs and is_text(key, parent) and not _PLACEHOLDER.fullmatch(text or ""):
        return placeholder(token)
    if theirs and (contact := shared_contact(token, key, parent, said)) is not None:
        return contact
    if theirs and key in COORDINATE_KEYS:  # a shared location's number sent as a string
        return "null"
    return token


def contacts_beside_removed_texts(line: str) -> str:
    """line with each quick reply's payload that is an email address or a phone number (see
    shared_contact) replaced where the text of its message is a placeholder: the text was not
    kept (salted without --keep-text, or the person forgotten), and an older refscope kept the
    payload beside it. A payload beside a kept text stays; so does a body kept as a JSON string,
    but for the same rule inside it."""
    if "quick_reply" not in line or "<text removed: " not in line:
        return line
    removed_in: set[int] = set()  # the offsets of the objects whose text is a placeholder
    found: list[tuple[re.Match[str], int]] = []  # each payload and the offset of its message
    nested: list[tuple[re.Match[str], str]] = []
    for m, key, opened in walk(line):
        if m is None or m.lastgroup != "value":
            continue
        text = decode(m.group())
        if key == "text" and opened and _PLACEHOLDER.fullmatch(text or ""):
            removed_in.add(opened[-1][2])
        elif key == "payload" and parent_key(opened) == "quick_reply" and len(opened) > 1:
            found.append((m, opened[-2][2]))
        elif text is not None and text.lstrip(" \t\r\n").startswith(("{", "[")):
            nested.append((m, text))
    edits = [(m.start(), m.end(), contact) for m, holder in found
             if holder in removed_in
             and (contact := shared_contact(m.group(), "payload", "quick_reply"))]  # fmt: skip
    for m, text in nested:
        if (inner := contacts_beside_removed_texts(text)) != text:
            edits.append((m.start(), m.end(), json.dumps(inner, ensure_ascii=False)))
    return spliced(line, edits)


def without_names(line: str) -> str:
    """line with each person's name (is_name) NAME_REMOVED, as a salted ingest stores it (one
    already removed, or forgotten, stays), also in a body kept as a JSON string."""
    if "name" not in line:
        return line
    edits: list[tuple[int, int, str]] = []
    for m, key, opened in walk(line):
        if m is None or m.lastgroup != "value":
            continue
        text = decode(m.group())
        if is_name(key, parent_key(opened)):
            if text not in (NAME_REMOVED, FORGOTTEN):
                edits.append((m.start(), m.end(), json.dumps(NAME_REMOVED)))
        elif text is not None and text.lstrip(" \t\r\n").startswith(("{", "[")):
            if (inner := without_names(text)) != text:
                edits.append((m.start(), m.end(), json.dumps(inner, ensure_ascii=False)))
    return spliced(line, edits)


def phone_numbers_shown(line: str, shown: Callable[[str], str]) -> str:
    """line with each `phone_number` value (a send's recipient) that holds a digit outside an id
    shown hashed (`id:` and 16 hex digits, as an older salted refscope showed a run of 10 digits
    or more) as shown gives it, also in a body kept as a JSON string."""

    def number(key: str | None, _parent: str | None, text: str) -> str | None:
        if key != "phone_number":
            return None
        return shown(text) if any(c.isdigit() for c in _SHOWN_ID.sub("", text)) else text

    return rewritten(line, number)


def rewritten(line: str, new: Callable[[str | None, str | None, str], str | None]) -> str:
    """line with each string value for which new(its key, its parent's key, it) gives a string
    put in its place (None: the value as it is, or, a JSON document kept as a string, rewritten
    inside the same way)."""
    edits: list[tuple[int, int, str]] = []
    for m, key, opened in walk(line):
        text = None if m is None or m.lastgroup != "value" else decode(m.group())
        if m is None or text is None:
            continue
        out = new(key, parent_key(opened), text)
        if out is None and text.lstrip(" \t\r\n").startswith(("{", "[")):
            out = rewritten(text, new)
        if out is not None and out != text:
            edits.append((m.start(), m.end(), json.dumps(out, ensure_ascii=False)))
    return spliced(line, edits)


def spliced(line: str, edits: list[tuple[int, int, str]]) -> str:
    """line with each (start, end, new) of edits, which do not overlap, put in."""
    out: list[str] = []
    done = 0
    for start, end, new in sorted(edits):
        out.append(line[done:start])
        out.append(new)
        done = end
    out.append(line[done:])
    return "".join(out)
