"""How the receiver takes an address: trailing slashes, and what it answers an address or
method none of its routes takes, in place of Starlette's own answers."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

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


async def not_a_link(request: Request) -> Response:
    """/r, /r/ or /r/<ref>/more: no link, refused as uncacheably as an unknown ref."""
    return PlainTextResponse("not a tracked link: a link is /r/<ref>", 404, headers=NO_STORE)


class TrailingSlashes:
    """ASGI middleware routing an address with trailing slashes as the one without them:
    `/webhook/` (a callback URL entered so), `/healthz//`, `/r/<ref>//` (a link pasted after an
    address ending in `/`). Starlette would redirect them (307): its redirect names this host,
    not the proxy's, and drops the proxy's prefix; it says no no-store, and a sender need not
    follow the redirect of a POST. An address no route takes stays a 404, slashes or not."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].endswith("/"):
            scope = {**scope, "path": scope["path"].rstrip("/") or "/"}
        await self.app(scope, receive, send)
