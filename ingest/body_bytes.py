"""A delivery body that is no JSON, as the receiver logs it, and one that is not UTF-8 as the
ingest rejects it.

Meta sends UTF-8 JSON; a body that is not comes from a bad or hostile client (one that holds
the app secret). The receiver logs it as a JSON string, each byte that is no UTF-8 written
`\\xNN` (so that the line stays readable and the ingest's privacy rules reach its ids and
texts), and beside it the body's bytes in base64 (BYTES_KEY): the string alone does not tell
the byte 0xFF from the four characters `\\xff`, and the log is the delivery's only durable
copy. Every body kept as a string has them, so that one without (an older receiver's line) is
told from a UTF-8 body holding those characters.

The ingest rejects such a line saying where the body stops being UTF-8 (if it does), and keeps
the line in `rejects.raw` without the base64: it would hide ids, texts and tokens from the
privacy rules and from `forget`, which find them in the text.
"""

from __future__ import annotations

import base64
import binascii
import json
import re

from .wording import counted

BYTES_KEY = "body_base64"
# Its value in a rejected line (also one cut off, or inside a body kept as a string): base64's
# alphabet only, so a JSON string's end (or an escaped quote, \") ends it.
_BYTES_VALUE = re.compile(rf'("{BYTES_KEY}"\s*:\s*)"([A-Za-z0-9+/=]*)("?)')


def envelope_fields(raw: bytes) -> bytes:
    """The envelope's fields after `"received_at"` for a body that is no JSON: the body as a JSON
    string, and its bytes in base64."""
    text = json.dumps(raw.decode("utf-8", "backslashreplace")).encode("ascii")
    return b',"body":%s,"%s":"%s"' % (text, BYTES_KEY.encode(), base64.b64encode(raw))


def reason(value: object) -> str | None:
    """Why an envelope whose body is a string and whose BYTES_KEY holds value is rejected: where
    the bytes stop being UTF-8; None when they are UTF-8 (the body string, then the body as it
    came, says what is wrong)."""
    try:
        if not isinstance(value, str):
            raise ValueError
        raw = base64.b64decode(value, validate=True)
    except (ValueError, binascii.Error):
        return f"envelope {BYTES_KEY} is not base64: the body's bytes are not known"
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return (
            f"envelope body is not UTF-8: invalid UTF-8 at byte {exc.start} of the body (its "
            f"bytes are in the log line's {BYTES_KEY})"
        )
    return None


def without_bytes(line: str) -> str:
    """line with each BYTES_KEY's base64 replaced by what it held: `<N bytes, in the log>`."""
    if BYTES_KEY not in line:
        return line
    return _BYTES_VALUE.sub(_told, line)


def _told(m: re.Match[str]) -> str:
    n = len(m[2]) * 3 // 4 - m[2].count("=")  # the bytes it holds (a cut one: about)
    return f'{m[1]}"<{counted(n, "byte")}, in the log>{m[3]}'
