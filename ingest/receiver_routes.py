"""What the receiver answers an address or method none of its routes takes, in place of
Starlette's own answers."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

# On every answer of /r/<ref>: a cache that kept one (a 404 is heuristically cacheable) would
# answer the next scan itself, uncounted, and go on refusing a ref registered since.
NO_STORE = {"cache-control": "no-store"}


async def method_not_allowed(request: Request, exc: Exception) -> Response:
    """Starlette's 405 (its Allow header kept), saying no-store under /r/ as every answer there
    does: a 405 is heuristically cacheable too (RFC 9110 §15.5.6)."""
    assert isinstance(exc, HTTPException)
    headers = dict(exc.headers or {})
    if request.url.path == "/r" or request.url.path.startswith("/r/"):
        headers.update(NO_STORE)
    return PlainTextResponse(exc.detail, exc.status_code, headers=headers)
