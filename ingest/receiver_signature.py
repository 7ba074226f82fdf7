"""The receiver's checks of what Meta sends: the X-Hub-Signature-256 header, an HMAC-SHA256 of
the raw body keyed with the app secret, and the handshake's hub.verify_token; both compared in
constant time. https://developers.facebook.com/docs/messenger-platform/webhooks
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re

SIGNATURE_HEADER = "x-hub-signature-256"
_SIGNATURE = re.compile(r"(?i:sha256)=[0-9a-fA-F]{64}")


def header_problem(header: str | None) -> str | None:
    """Why the header cannot hold a signature ("missing", "malformed"), or None."""
    if header is None or not header.strip():
        return "missing"
    return None if _SIGNATURE.fullmatch(header.strip()) else "malformed"


def signature_problem(raw: bytes, header: str | None, secrets: tuple[str, ...]) -> str | None:
    """None if header is a valid `sha256=<hex>` HMAC of raw under one secret, else the reason."""
    if not secrets:
        return "no_secret_configured"
    problem = header_problem(header)
    if problem or header is None:
        return problem
    given = bytes.fromhex(header.strip()[len("sha256=") :])
    # Every secret is tried, so the time taken does not say which one matched. os.fsencode: the
    # bytes the environment holds, which Meta's HMAC is keyed with; a secret set from bytes
    # that are not UTF-8 (lone surrogates in os.environ) would make .encode() raise: a 500.
    matches = [
        hmac.compare_digest(hmac.new(os.fsencode(s), raw, hashlib.sha256).digest(), given)
        for s in secrets
    ]
    return None if any(matches) else "mismatch"


def token_matches(given: str, expected: str) -> bool:
    """Constant time whatever the lengths: the sha256 digests of both are compared, as
    compare_digest on the tokens themselves returns at once when their lengths differ."""
    # surrogatepass: a token set from bytes that are not UTF-8 is refused, not a crash.
    digests = [
        hashlib.sha256(t.encode("utf-8", "surrogatepass")).digest() for t in (given, expected)
    ]
    return hmac.compare_digest(*digests)
