"""What an HTTP client's failure says, for `pull logs` and `pull ads` alike."""

from __future__ import annotations

import ssl


def refused_certificate(exc: BaseException) -> str | None:
    """Why the server's TLS certificate was refused (self-signed, expired, another host's, a
    proxy's this machine does not trust), when that is what a connection error was; else None.
    Waiting does not mend a certificate, so such an error is not retried."""
    seen: BaseException | None = exc
    for _ in range(10):  # the chain httpx -> httpcore -> ssl, guarded against a cycle
        if seen is None:
            break
        if isinstance(seen, ssl.SSLCertVerificationError):
            why = seen.verify_message or str(seen)
            return f"the server's TLS certificate was refused ({why}); not retried"
        seen = seen.__cause__ or seen.__context__
    return None
