"""What the ingest keeps about people: no message text by default, keyed hashes of ids on request.

With REFSCOPE_ID_SALT set, PSIDs and user_refs are stored as HMAC-SHA256(salt, id) — the same
on every run, useless to the Send API. The salt itself is never stored or printed.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
from dataclasses import dataclass, field

SALT_ENV = "REFSCOPE_ID_SALT"
KEEP_TEXT_ENV = "REFSCOPE_KEEP_TEXT"
_BLOCK = 64  # SHA-256's block size: HMAC pads the key to it
_LONG_NUMBER = re.compile(r"\d{10,}")  # PSIDs, page-scoped and app-scoped ids

# HMAC-SHA256 in DuckDB SQL, keyed by the pads passed as parameters (never in the SQL text).
HMAC_SQL = "sha256(unhex($opad) || unhex(sha256(unhex($ipad) || encode({x}))))"

PSEUDONYMISE = f"""
UPDATE rs_stage SET
    psid = {HMAC_SQL.format(x="psid")},
    commenter_id = {HMAC_SQL.format(x="commenter_id")},
    event_key = md5_number({HMAC_SQL.format(x="CAST(event_key AS VARCHAR)")})
"""


@dataclass(frozen=True)
class Privacy:
    keep_text: bool = False
    salt: bytes | None = field(default=None, repr=False)

    @classmethod
    def from_env(cls, keep_text: bool | None = None) -> Privacy:
        salt = os.environ.get(SALT_ENV) or None
        if keep_text is None:
            keep_text = os.environ.get(KEEP_TEXT_ENV, "").lower() in ("1", "true", "yes")
        return cls(keep_text, salt.encode() if salt else None)

    def pads(self) -> dict[str, str]:
        """HMAC's inner and outer pads as hex: parameters for HMAC_SQL."""
        assert self.salt is not None
        key = self.salt if len(self.salt) <= _BLOCK else hashlib.sha256(self.salt).digest()
        key = key.ljust(_BLOCK, b"\0")
        return {
            "ipad": bytes(b ^ 0x36 for b in key).hex(),
            "opad": bytes(b ^ 0x5C for b in key).hex(),
        }

    def stored_id(self, psid: str) -> str:
        """The id as the database holds it."""
        if self.salt is None:
            return psid
        return hmac.new(self.salt, psid.encode(), hashlib.sha256).hexdigest()

    def redact(self, raw: str) -> str:
        """A rejected line's text with long numeric ids hashed, when ids are pseudonymous."""
        if self.salt is None:
            return raw
        return _LONG_NUMBER.sub(lambda m: "id:" + self.stored_id(m.group())[:16], raw)


def forgotten_hash(stored_id: str) -> str:
    """What the `forgotten` table records: a hash of the stored id, never the id."""
    return hashlib.sha256(stored_id.encode()).hexdigest()
