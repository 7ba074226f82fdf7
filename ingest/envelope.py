"""A delivery's line in the receiver's log: `{"received_at": <ms>, "body": <the body>}`, the body
as received when it is JSON (one line, its CR and LF as spaces, a leading byte order mark off),
else a string beside its bytes in base64 (`body_bytes`). The ingest's `webhook` reads such
lines; `demo-data` writes its deliveries with it too."""

from __future__ import annotations

import codecs

from . import body_bytes, reasons


def is_json(raw: bytes) -> bool:
    """Strict UTF-8 JSON text (no NaN, no BOM, no raw control characters in strings)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return reasons.is_json_text(text)


def envelope_line(raw: bytes, received_at_ms: int) -> bytes:
    """The log line for a delivery: its raw bytes untouched, or as a string if not JSON (and, if
    not UTF-8, its bytes in base64 beside it: body_bytes)."""
    # A leading UTF-8 byte order mark (a payload saved by a Windows tool and replayed) cannot
    # stand inside the envelope: the JSON after it is logged, as the ingest reads a bare line.
    unmarked = raw.removeprefix(codecs.BOM_UTF8)
    if is_json(unmarked):
        # Valid JSON holds CR/LF only as whitespace between tokens: spaces keep it one line.
        fields = b',"body":' + unmarked.replace(b"\r", b" ").replace(b"\n", b" ")
    else:
        fields = body_bytes.envelope_fields(raw)
    return b'{"received_at":%d%s}\n' % (received_at_ms, fields)
