"""What `refscope serve` runs with: ReceiverConfig, read from the environment, and what a
careful operator is warned of at start. It never logs or prints a secret."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import clicklog, sizes

# The cap bounds what a bad client makes us hold. Meta batches up to 1,000 updates in one POST,
# which with long texts may pass 1 MiB: REFSCOPE_MAX_BODY raises it ("32MB", README says why).
MAX_BODY_BYTES = 1024 * 1024
MAX_BODY_ENV = "REFSCOPE_MAX_BODY"
# A body must arrive within this many seconds: a client that trickles its bytes would otherwise
# hold a connection (and its buffer) for ever. Meta's deliveries take a fraction of a second.
BODY_TIMEOUT_SECONDS = 30.0
_QUOTES = ("'", '"')


@dataclass(frozen=True)
class ReceiverConfig:
    """What `refscope serve` runs with; secrets never appear in its repr."""

    log_dir: Path
    """Where webhooks-YYYY-MM-DD.<host>-<pid>-<run>.ndjson and clicks-... are appended."""
    db_path: Path | None = None
    """The DuckDB file whose tracked_links the /r/<ref> redirects follow."""
    app_secrets: tuple[str, ...] = field(default=(), repr=False)
    """Meta app secrets (REFSCOPE_APP_SECRET, comma-separated): any one may have signed."""
    verify_token: str | None = field(default=None, repr=False)
    """The subscription handshake's token (REFSCOPE_VERIFY_TOKEN)."""
    writer: str = ""
    """Added to log file names when several receivers share one directory."""
    registry_refresh: float = clicklog.REGISTRY_REFRESH_SECONDS
    """Seconds between reads of tracked_links."""
    max_body: int = MAX_BODY_BYTES
    """Largest delivery accepted, in bytes."""
    body_timeout: float = BODY_TIMEOUT_SECONDS
    """Seconds a delivery's body may take to arrive."""
    clicks_only: bool = False
    """`serve --clicks-only`: /r/<ref> only, no /webhook, so no app secret is needed."""

    @classmethod
    def from_env(
        cls, log_dir: Path, db_path: Path | None = None, environ: Mapping[str, str] = os.environ,
        **kw: Any,
    ) -> ReceiverConfig:  # fmt: skip
        """Secrets from REFSCOPE_APP_SECRET (comma-separated) and REFSCOPE_VERIFY_TOKEN; the
        body cap from REFSCOPE_MAX_BODY."""
        raw = environ.get("REFSCOPE_APP_SECRET", "")
        secrets = tuple(s.strip() for s in raw.split(",") if s.strip())
        token = environ.get("REFSCOPE_VERIFY_TOKEN", "").strip() or None
        kw.setdefault("max_body", sizes.size_setting(MAX_BODY_ENV, MAX_BODY_BYTES, environ))
        return cls(log_dir, db_path, secrets, token, **kw)


def config_warnings(config: ReceiverConfig) -> list[str]:
    """What the operator is warned of at start: a setting that makes deliveries or the
    handshake fail (named, never shown). A receiver for clicks only takes neither."""
    if config.clicks_only:
        return []
    out = []
    if not config.app_secrets:
        out.append("REFSCOPE_APP_SECRET is not set: every POST /webhook is refused (503), and "
                   "/healthz answers 503; a receiver for tracked-link clicks only is started "
                   "with --clicks-only")  # fmt: skip
    # Quotes kept from a .env line (docker --env-file keeps them) would fail every check, unnamed.
    if any(s[:1] in _QUOTES or s[-1:] in _QUOTES for s in config.app_secrets):
        out.append("REFSCOPE_APP_SECRET has a secret with a quote at its start or end, taken as "
                   "part of it (Meta's app secrets are hex): deliveries signed with it are "
                   "refused (403 mismatch); set it without quotes")  # fmt: skip
    token = config.verify_token or ""
    if len(token) > 1 and token[0] in _QUOTES and token[-1] in _QUOTES:
        out.append("REFSCOPE_VERIFY_TOKEN starts and ends with a quote, taken as part of it: "
                   "unless the token given to Meta has them, its handshake gets 403")  # fmt: skip
    return out
