"""What the ingest keeps about people: no message text by default, keyed hashes of ids on request.

With REFSCOPE_ID_SALT set, PSIDs and user_refs are stored as HMAC-SHA256(salt, id) — the same
on every run, useless to the Send API. The salt itself is never stored or printed.

Rejected lines are kept in `rejects.raw` as they came, so that each can be fixed and read again;
`redact` blanks forgotten people's ids (and their texts) in them and, in a salted (shareable)
database, applies the rules of events to them too: ids shown hashed, and message and comment
text replaced by a placeholder unless text is kept.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from . import wide_lines
from .body_bytes import without_bytes
from .db import key_text
from .errors import ValidationError
from .page_urls import page_of, page_of_sql
from .reject_text import (
    COORDINATE_KEYS,
    NUMBER,
    container_offsets,
    decode,
    is_name,
    is_text,
    parent_key,
    placeholder,
    shared_contact,
    walk,
    without_forgotten_texts,
)
from .reject_text import FORGOTTEN as FORGOTTEN  # what a forgotten id becomes in a line
from .reject_text import NAME_REMOVED as NAME_REMOVED  # a person's name, salted
from .tokens import TOKEN_REMOVED as TOKEN_REMOVED  # a token in a rejected line, salted or not
from .tokens import without_tokens
from .wording import counted

if TYPE_CHECKING:
    import duckdb

SALT_ENV = "REFSCOPE_ID_SALT"
KEEP_TEXT_ENV = "REFSCOPE_KEEP_TEXT"
# The name beside a blanked id in a comment's `from` object ({"id": ..., "name": ...}, either
# order): a forgotten person's name goes with their id, also in a body the receiver kept as a
# JSON string (its quotes escaped: \"from\"). One pattern for Python and DuckDB (RE2) per
# (pattern, replacement) pair; \1 and \2 are the parts kept.
_JSON_STRING = r'"(?:[^"\\]|\\.)*"'
# A JSON string inside a JSON string: its quotes are \", its escapes \\ and what follows.
_ESCAPED_STRING = r'\\"(?:\\\\(?:\\\\|\\"|\\[^"\\]|[^"\\])|\\[^"\\]|[^"\\])*\\"'


def _forgotten_names(q: str, string: str) -> tuple[tuple[str, str], ...]:
    """The patterns for one way of quoting: q is a quote as the line holds it."""
    return (
        (rf"({q}from{q}\s*:\s*\{{[^{{}}]*{q}{FORGOTTEN}{q}[^{{}}]*{q}name{q}\s*:\s*){string}()",
         rf"\1{q}{FORGOTTEN}{q}\2"),
        (rf"({q}from{q}\s*:\s*\{{[^{{}}]*{q}name{q}\s*:\s*){string}([^{{}}]*{q}{FORGOTTEN}{q})",
         rf"\1{q}{FORGOTTEN}{q}\2"),
    )  # fmt: skip


FORGOTTEN_NAMES = (*_forgotten_names('"', _JSON_STRING),
                   *_forgotten_names(r'\\"', _ESCAPED_STRING))  # fmt: skip
_ZERO = "\x00"  # of each character of UTF-16 text read as UTF-8, the byte beside it
_SCHEME_TEXT = b"refscope: how this database stores ids"  # keyed by the salt in id_scheme
_BLOCK = 64  # SHA-256's block size: HMAC pads the key to it
_SHOWN_HEX = 16  # hex digits of the stored id that a rejected line shows
STORED_ID = re.compile(r"[0-9a-f]{64}")  # an id as a salted database stores it (stored_id)
_LONG_NUMBER = re.compile(r"\d{10,}")  # PSIDs, page-scoped and app-scoped ids
_MIN_ID = 10  # the shortest id looked for in a rejected line's text
_LONG_ID = re.compile(r"[A-Za-z0-9_-]{10,}")  # PSIDs and user_refs inside a rejected line
_ID_PARTS = 8  # an id inside a longer word has at most this many parts between underscores
# Keys whose long numbers are instants, not ids: shown as they came (a reject may be about them).
_TIME_KEYS = frozenset({"timestamp", "time", "watermark", "created_time", "received_at", "ts"})

# HMAC-SHA256 in DuckDB SQL, keyed by the pads passed as parameters (never in the SQL text).
HMAC_SQL = "sha256(unhex($opad) || unhex(sha256(unhex($ipad) || encode({x}))))"

PSEUDONYMISE = f"""
UPDATE rs_stage SET
    psid = {HMAC_SQL.format(x="psid")},
    -- The page's own comments (its public replies) keep its id: no person's, and stored
    -- as it came in page_id, where the comment funnel tells them from comments received.
    commenter_id = CASE WHEN commenter_id = page_id THEN commenter_id
                        ELSE {HMAC_SQL.format(x="commenter_id")} END,
    event_key = md5_number({HMAC_SQL.format(x=key_text("event_key"))}),
    referer_uri = {page_of_sql("referer_uri")}  -- its page: no query that names the visitor
"""


_YES, _NO = ("1", "true", "yes", "on"), ("", "0", "false", "no", "off")


def keep_text_setting(value: str) -> bool:
    """REFSCOPE_KEEP_TEXT as a yes or no. Spaces and a line end around it (an env file saved on
    Windows) do not count; a value that is neither is refused: read as no, the texts the team
    asked for were never stored, and a later ingest of the same logs adds none."""
    word = value.strip().lower()
    if word not in _YES + _NO:
        raise ValidationError(f"{KEEP_TEXT_ENV}={value!r}: give 1 to keep message text, 0 not to")
    return word in _YES


def salt_setting() -> bytes | None:
    """REFSCOPE_ID_SALT's bytes as the environment holds them, or None when unset or empty.

    os.fsencode undoes how os.environ decoded them (surrogateescape on POSIX), so a salt that is
    not UTF-8 keys the HMAC as it was set, not a crash whose traceback is about it; a UTF-8 salt
    gives the bytes it always gave, and with them the ids a database already holds."""
    return os.fsencode(os.environ.get(SALT_ENV, "")) or None


def _forgotten_there(con: duckdb.DuckDBPyConnection) -> str:
    """What a new database would not know: the people forgotten in this one, whose hashes are
    keyed by its salt (or are its plain ids' hashes) and are carried over by nothing else."""
    (n,) = con.execute("SELECT count(DISTINCT id_hash) FROM forgotten").fetchone() or (0,)
    if not n:
        return ""
    return (f"; a new database would not know the {counted(n, 'person', 'people')} forgotten "
            "in this one: logs that still hold them would bring them back")  # fmt: skip


@dataclass(frozen=True)
class Privacy:
    keep_text: bool = False
    salt: bytes | None = field(default=None, repr=False)

    @classmethod
    def from_env(cls, keep_text: bool | None = None) -> Privacy:
        """The settings of a command that stores or looks up ids; a blank salt refused."""
        if keep_text is None:
            keep_text = keep_text_setting(os.environ.get(KEEP_TEXT_ENV, ""))
        salt = salt_setting()
        if salt is not None and not salt.strip():  # a `.env` line `REFSCOPE_ID_SALT= `
            raise ValidationError(
                f"{SALT_ENV} is blank (spaces or tabs alone), a key anyone can guess: hashed "
                "with it, ids are found again by hashing candidates; set a long random salt, "
                "or unset it"
            )
        return cls(keep_text, salt)

    def pads(self) -> dict[str, str]:
        """HMAC's inner and outer pads as hex: parameters for HMAC_SQL."""
        assert self.salt is not None
        key = self.salt if len(self.salt) <= _BLOCK else hashlib.sha256(self.salt).digest()
        key = key.ljust(_BLOCK, b"\0")
        return {
            "ipad": bytes(b ^ 0x36 for b in key).hex(),
            "opad": bytes(b ^ 0x5C for b in key).hex(),
        }

    def scheme(self) -> str:
        """How ids are stored under this setting, as `id_scheme` records it: `plain`, or a keyed
        hash of a fixed text (not the salt), which tells one salt from another."""
        if self.salt is None:
            return "plain"
        return "salted:" + hmac.new(self.salt, _SCHEME_TEXT, hashlib.sha256).hexdigest()[:16]

    def check_scheme(self, con: duckdb.DuckDBPyConnection, record: bool = True) -> None:
        """Refuse to store or look up ids in a database that holds them stored another way (made
        without the salt, with it, or with another one): everyone would become a second contact
        and forgotten people would come back. Rejected lines hold ids too, shown the way of the
        run that read them (as they came, text included, without a salt). A database without
        ids takes this setting's way (unless not record: then nothing is written). Call it in a
        transaction."""
        row = con.execute("SELECT any_value(scheme), count(*) FROM id_scheme").fetchone()
        stored = row[0] if row else None
        (holds,) = con.execute(
            """SELECT EXISTS (SELECT 1 FROM events) OR EXISTS (SELECT 1 FROM forgotten)
                   OR EXISTS (SELECT 1 FROM rejects)"""
        ).fetchone() or (False,)
        if holds and stored is None:
            # Made before id_scheme: a sample of its ids says whether they are hashed.
            (hashed,) = con.execute(
                """SELECT bool_and(regexp_full_match(id, '[0-9a-f]{64}')) FROM (
                       SELECT coalesce(psid, commenter_id) AS id FROM events
                       WHERE id IS NOT NULL LIMIT 100)"""
            ).fetchone() or (None,)
            if hashed is not None and hashed != (self.salt is not None):
                stored = "salted:?" if hashed else "plain"
        if holds and stored is not None and stored != self.scheme():
            if stored == "plain":
                why = "stores ids as they came (it was made without REFSCOPE_ID_SALT): unset it"
            elif self.salt is None:
                why = "stores ids hashed with REFSCOPE_ID_SALT: set the salt it was made with"
            else:
                why = "was made with another REFSCOPE_ID_SALT: set the salt it was made with"
            raise ValidationError(
                f"this database {why}, or start a new database (a database keeps one salt, or "
                f"none, for life){_forgotten_there(con)}"
            )
        if record and stored != self.scheme():
            con.execute("DELETE FROM id_scheme")
            con.execute("INSERT INTO id_scheme VALUES (?)", [self.scheme()])

    def stored_id(self, psid: str) -> str:
        """The id as the database holds it."""
        if self.salt is None:
            return psid
        return hmac.new(self.salt, psid.encode(), hashlib.sha256).hexdigest()

    def shown_id(self, psid: str) -> str:
        """The id as a rejected line shows it: `id:` and the stored id's first hex digits when
        salted (enough to tell people apart, not to recompute), else the id itself."""
        if self.salt is None:
            return psid
        return shown_stored(self.stored_id(psid))

    def redact(self, raw: str, forgotten: Collection[str] = ()) -> str:
        """A rejected line's text as `rejects.raw` keeps it.

        With a salt: `user_ref` and `phone_number` values and long numbers are shown hashed,
        people's names (reject_text.is_name: a comment's `from.name`, a send recipient's
        `name.first_name` and `name.last_name`, a rating's `reviewer_name`) become NAME_REMOVED
        and, without keep_text, the string values of `text` keys (messages, echoes, send
        logs), of `message`, `photo`, `video`, `link` and `review_text` keys in a Page change's
        `value` (comment text, a comment's photo or video, a post's photo or shared link, a
        rating's review), of an attachment's
        `payload.url` and of its own `url` and `title` (a shared location's map link, and its
        title, which can name the sender) and of a feedback form's typed answer
        (`follow_up.payload`) become a placeholder giving their length, a quick
        reply's payload that is an email address or a phone number `<email removed>` or
        `<phone number removed>`, and a shared location's `lat` and `long` become null. Ids
        whose forgotten_hash is in `forgotten` become FORGOTTEN, and so does the name beside
        one in a `from` object.
        The line need not be valid JSON. The texts (and attachment URLs) of a forgotten
        person's items become the placeholder too, whatever keep_text says
        (reject_text.without_forgotten_texts). A token (`access_token=...`, a `..._token`
        key's value) becomes TOKEN_REMOVED always, and the base64 of a body that is not UTF-8,
        which no rule could read, a note of its size (body_bytes.without_bytes). A line of
        UTF-16 text holding any of these is kept as the text it holds, so that they apply (and a
        text is counted in characters).
        """
        if _ZERO in raw:
            # UTF-16 text read as UTF-8 (a log PowerShell 5 saved): a zero byte beside each
            # character hid its ids, texts and tokens from these rules; read as UTF-16 text (or
            # without them, when its start does not tell how), they apply.
            bare = wide_lines.text_of(raw) or raw.replace(_ZERO, "")
            hidden = self._redacted(bare, forgotten)
            if hidden != bare:
                return hidden
        return self._redacted(raw, forgotten)

    def _redacted(self, raw: str, forgotten: Collection[str]) -> str:
        raw = without_bytes(without_tokens(raw))
        if self.salt is None and not forgotten:
            return raw
        line = _Redaction(self, frozenset(forgotten)).line(raw)
        if FORGOTTEN in line:
            for pattern, named in FORGOTTEN_NAMES:
                line = re.sub(pattern, named, line)
            line = without_forgotten_texts(line)
        return line


def shown_stored(stored_id: str) -> str:
    """A salted stored id as a rejected line shows it (Privacy.shown_id)."""
    return "id:" + stored_id[:_SHOWN_HEX]


def forgotten_hash(stored_id: str) -> str:
    """What the `forgotten` table records: a hash of the stored id, never the id."""
    return hashlib.sha256(stored_id.encode()).hexdigest()


@dataclass(frozen=True)
class _Redaction:
    """Privacy.redact's rules for one line, given the forgotten ids an ingest honours."""

    privacy: Privacy
    forgotten: frozenset[str]

    def line(self, raw: str) -> str:
        """`raw` with each string value rewritten by the rule for its key, and every other part
        by `ids` (reject_text.walk reads it)."""
        out: list[str] = []
        done = 0
        texts: dict[int, str | None] = {}  # each object's `text`, by its offset
        for m, key, opened in walk(raw):
            if m is None:  # the text after the last token
                out.append(self.ids(raw[done:], key, bare=True))
                break
            out.append(self.ids(raw[done : m.start()], key, bare=True))
            done = m.end()
            if m.lastgroup == "value":
                at, outer = container_offsets(opened)
                if key == "text":
                    texts[at] = decode(m.group())
                out.append(self.value(m.group(), key, parent_key(opened), texts.get(outer)))
            else:
                out.append(self.ids(m.group()))
        return "".join(out)

    def value(
        self, token: str, key: str | None, parent: str | None, said: str | None = None
    ) -> str:
        """One string value, by its key and the key of the object holding it (and said, the text
        of the object around that: a quick reply's message's, see shared_contact)."""
        if not self.privacy.keep_text and self.privacy.salt is not None:
            if is_text(key, parent):
                return placeholder(token)
            if (contact := shared_contact(token, key, parent, said)) is not None:
                return contact  # the person's email address or phone number, sent as text
        if self.privacy.salt is not None and is_name(key, parent):
            # A commenter's name, a send's recipient's (by phone number): who they are, as an id.
            return json.dumps(NAME_REMOVED)
        text = decode(token)
        if text is None:
            return self.ids(token)
        if key == "user_ref":
            if self.is_forgotten(text):
                return json.dumps(FORGOTTEN)
            if self.privacy.salt is not None:
                return json.dumps(self.privacy.shown_id(text))
        if key == "phone_number":  # a send's recipient: forgotten by it as by an id
            if self.is_forgotten(text):
                return json.dumps(FORGOTTEN)
            if self.privacy.salt is not None:
                return json.dumps(self.privacy.shown_id(text))
        if key == "referer_uri" and self.privacy.salt is not None:
            token = json.dumps(page_of(text), ensure_ascii=False)  # as events store it
        elif text.lstrip(" \t\r\n").startswith(("{", "[")):
            # A JSON document kept as a string (a body the receiver could not parse): the same
            # rules inside it, re-encoded only if they changed something.
            inner = self.line(text)
            if inner != text:
                return json.dumps(inner, ensure_ascii=False)
        return self.ids(token, key)

    def ids(self, text: str, key: str | None = None, bare: bool = False) -> str:
        """Text outside the values rewritten whole: ids found by their shape (the value of key,
        when it is one: an instant's digits are no id). Outside any string (bare), an id sent
        as a JSON number is shown as a JSON string: the line stays JSON if it was."""

        def shown(changed: str, word: str) -> str:
            return json.dumps(changed) if bare and changed != word else changed

        hide_sent = self.privacy.salt is not None and not self.privacy.keep_text
        if key in COORDINATE_KEYS and hide_sent:  # kept in a rejected line only where text is
            return NUMBER.sub("null", text)
        if self.forgotten:
            text = _LONG_ID.sub(lambda m: shown(self.unless_forgotten(m[0]), m[0]), text)
        if self.privacy.salt is not None and key not in _TIME_KEYS:
            text = _LONG_NUMBER.sub(lambda m: shown(self.privacy.shown_id(m[0]), m[0]), text)
        return text

    def unless_forgotten(self, word: str) -> str:
        """word with each forgotten id in it blanked: the whole word, or a part of it between
        underscores, which part ids as `forget` takes them (`USER_<PSID>`, a mid); in a word
        of a few parts, also a run of parts (an id that holds an underscore itself)."""
        if self.is_forgotten(word):
            return FORGOTTEN
        parts = word.split("_")
        longest = _ID_PARTS if len(parts) <= 2 * _ID_PARTS else 1  # bounded work per word
        out: list[str] = []
        i = 0
        while i < len(parts):
            # The longest run of parts from i that is a forgotten id, else part i as it is.
            ends = range(min(len(parts), i + longest), i, -1) if parts[i] else ()
            runs = ((j, "_".join(parts[i:j])) for j in ends if parts[j - 1])
            j = next((j for j, run in runs
                      if len(run) >= _MIN_ID and self.is_forgotten(run)), None)  # fmt: skip
            out.append(parts[i] if j is None else FORGOTTEN)
            i = i + 1 if j is None else j
        return "_".join(out)

    def is_forgotten(self, given: str) -> bool:
        return bool(self.forgotten) and (
            forgotten_hash(self.privacy.stored_id(given)) in self.forgotten
        )
