"""The webhook receiver: an ASGI app that verifies Meta's signature over the raw body, appends
each delivery (and each tracked-link click) to NDJSON logs, and answers only once it is durable.

It never parses a delivery into events (the ingest does) and never writes a secret anywhere.
Meta's handshake and signature: https://developers.facebook.com/docs/messenger-platform/webhooks
The durable log writer lives in `logwriter`, the /metrics counters in `receiver_metrics`, the
configuration in `receiver_config`, the checks of the signature and verify token in
`receiver_signature` and a delivery's log line in `envelope`.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import hashlib
import logging
import os
import re
import secrets
import socket
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from . import clicklog, receiver_health
from .cli_stop import stops_while_starting_until
from .envelope import envelope_line as envelope_line  # `X as X`: re-exported, defined here before
from .logwriter import OPEN_FILES as OPEN_FILES  # `X as X`: re-exported, defined here before
from .logwriter import BatchStats as BatchStats
from .logwriter import LogWriter, keep_serving_on_sighup, log_file, make_dirs
from .receiver_config import BODY_TIMEOUT_SECONDS as BODY_TIMEOUT_SECONDS
from .receiver_config import MAX_BODY_BYTES as MAX_BODY_BYTES
from .receiver_config import MAX_BODY_ENV, ReceiverConfig, config_warnings
from .receiver_metrics import REFUSALS as REFUSALS
from .receiver_metrics import Metrics
from .receiver_protocol import HeaderDeadlineProtocol, body_refused, header_deadline_protocol
from .receiver_routes import NO_STORE, TrailingSlashes, method_not_allowed, not_a_link
from .receiver_signature import SIGNATURE_HEADER, header_problem, signature_problem, token_matches

log = logging.getLogger("refscope.receiver")

# A request's headers must arrive within this many seconds (its body then has body_timeout):
# a client sending a header line now and then would otherwise hold a connection for ever.
HEADER_TIMEOUT_SECONDS = 30.0
RUN_ID_BYTES = 4  # a receiver's run id in its log file names: 8 hex digits, new at each start
# On an answer that repeats what a client sent (hub.challenge, a ref): text, never sniffed as HTML.
NOSNIFF = {"x-content-type-options": "nosniff"}


class Receiver:
    """The routes and their shared state: config, log writer, registry, metrics."""

    def __init__(
        self, config: ReceiverConfig, fsync: Callable[[int], None] = os.fsync,
        clock: Callable[[], float] = time.time, started: Callable[[], None] = lambda: None,
    ) -> None:  # fmt: skip
        self.config = config
        self.started = started  # told as the app starts (serve: uvicorn's stops from then on)
        self.clock = clock
        self.metrics = Metrics()
        self.fsync = fsync
        self.writer: LogWriter | None = None
        self.registry = clicklog.Registry(config.db_path, config.registry_refresh)
        self.write_probe = receiver_health.WriteProbe(config.log_dir, clock)
        self.started_at = clock()

    def _now_ms(self) -> int:
        return int(self.clock() * 1000)

    @contextlib.asynccontextmanager
    async def lifespan(self, app: Starlette) -> AsyncIterator[None]:
        self.started()
        make_dirs(self.config.log_dir)
        self.writer = LogWriter(self.metrics, self.fsync)
        self.writer.start()
        cfg = self.config
        if cfg.clicks_only:
            log.info("logging to %s; tracked-link clicks only: no /webhook", cfg.log_dir)
        else:
            log.info("logging to %s; %d app secret(s); verify token %s", cfg.log_dir,
                     len(cfg.app_secrets), "set" if cfg.verify_token else "NOT set")  # fmt: skip
        for warning in config_warnings(cfg):
            log.warning("%s", warning)
        await self.registry.refresh()
        restore_sighup = keep_serving_on_sighup()  # Ctrl-C and SIGTERM still stop it
        try:
            yield
        finally:
            restore_sighup()
            await self.registry.close()
            await self.writer.close()

    async def _append(self, stream: str, at_ms: int, line: bytes) -> None:
        assert self.writer is not None, "the app runs without its lifespan"
        await self.writer.append(log_file(self.config.log_dir, stream, at_ms, self.config.writer),
                                 line)  # fmt: skip

    async def webhook(self, request: Request) -> Response:
        """/webhook: the handshake (GET, and HEAD) or a delivery (POST)."""
        if self.config.clicks_only:
            # Its body unread: the connection closes, lest the rest be read as a request.
            return PlainTextResponse("this receiver takes tracked-link clicks only "
                                     "(serve --clicks-only): no webhooks here", 404,
                                     headers={"connection": "close"})  # fmt: skip
        return await (self.deliver if request.method == "POST" else self.handshake)(request)

    async def handshake(self, request: Request) -> Response:
        """GET /webhook: echo hub.challenge when hub.verify_token is ours."""
        q = request.query_params
        if not self.config.verify_token:
            return PlainTextResponse("REFSCOPE_VERIFY_TOKEN is not set on this receiver", 503)
        # The token first: whoever does not hold it learns nothing more of what is expected.
        # One token only: with two, which one counted would depend on their order.
        tokens = q.getlist("hub.verify_token")
        if not token_matches(tokens[0] if len(tokens) == 1 else "", self.config.verify_token):
            return PlainTextResponse("wrong hub.verify_token", 403)
        # Meta's own sample answers 403 unless hub.mode is subscribe as well.
        if q.getlist("hub.mode") != ["subscribe"]:
            return PlainTextResponse("expected hub.mode=subscribe", 403)
        if not q.get("hub.challenge"):
            return PlainTextResponse("expected a hub.challenge", 400)
        return PlainTextResponse(q["hub.challenge"], headers=NOSNIFF)

    def _refuse(
        self, reason: str, status: int, message: str, size: int | None = None, read: bool = False
    ) -> Response:
        """size: the refused body's Content-Length, when it gave one (a too_large only); read:
        the whole body was read, and the connection is kept for the next request."""
        self.metrics.refused[reason] += 1
        if reason == "too_large":
            # A signed batch from Meta may be this large: its retries stop after a while, and
            # then it is lost. The operator's log says what to raise, and how far when known.
            told = f"{size} bytes by its Content-Length, " if size is not None else ""
            log.warning("delivery refused: too_large (%sover %s bytes): if Meta sent it, raise "
                        "%s, or it is lost once Meta stops retrying", told, self.config.max_body,
                        MAX_BODY_ENV)  # fmt: skip
        else:
            log.info("delivery refused: %s", reason)
        # Not read (or not all): closed, as uvicorn would read and drop the rest, however long,
        # to keep the connection, a client waiting for "100 Continue" may never send it, and the
        # rest of a body that stopped coming must not be taken from the next request.
        return PlainTextResponse(message, status, headers=None if read else {"connection": "close"})

    def refused_unparsed(self) -> None:
        """A POST to /webhook whose head uvicorn's HTTP parser refused (400), unseen by the app
        (receiver_protocol calls it)."""
        if not self.config.clicks_only:  # no delivery is taken here: a 404 it is not counted
            self.metrics.refused["invalid_http"] += 1
            log.info("delivery refused: invalid_http")

    async def _read_body(self, request: Request) -> bytes | None:
        """The raw body, or None once it passes max_body (counted as it streams in)."""
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > self.config.max_body:
                return None
            chunks.append(chunk)
        return b"".join(chunks)

    async def deliver(self, request: Request) -> Response:
        """POST /webhook: verify, log durably, then 200."""
        cfg = self.config
        too_large = f"a delivery is at most {cfg.max_body} bytes"
        if not cfg.app_secrets:
            return self._refuse("no_secret_configured", 503,
                                "REFSCOPE_APP_SECRET is not set: deliveries cannot be verified, "
                                "so none is accepted")  # fmt: skip
        # Digits, one value: h11 refuses any other Content-Length first (uvicorn's 400)
        length = request.headers.get("content-length")
        # Unsigned first: a large request that Meta did not send is no cue to raise the cap.
        given = request.headers.getlist(SIGNATURE_HEADER)
        if len(given) > 1:  # Meta sends one: which of two counted would depend on their order
            return self._refuse("malformed", 403, "X-Hub-Signature-256 repeated")
        header = given[0] if given else None
        problem = header_problem(header)
        if problem:
            return self._refuse(problem, 403, f"X-Hub-Signature-256 {problem}")
        if length is not None and int(length) > cfg.max_body:
            return self._refuse("too_large", 413, too_large, size=int(length))
        try:
            raw = await asyncio.wait_for(self._read_body(request), cfg.body_timeout)
        except ClientDisconnect:  # nobody reads the answer: counted, for /metrics to show
            # A hang-up, or a chunk h11 refused (uvicorn answered 400): not the same fault
            reason = "invalid_http" if body_refused(request.scope) else "disconnected"
            return self._refuse(reason, 400, "the body did not arrive")
        except TimeoutError:
            return self._refuse(
                "slow_body", 408, f"the body did not arrive within {cfg.body_timeout:g} s"
            )
        if raw is None:
            return self._refuse("too_large", 413, too_large)
        problem = signature_problem(raw, header, cfg.app_secrets)
        if problem:
            return self._refuse(problem, 403, f"X-Hub-Signature-256 {problem}", read=True)
        at = self._now_ms()
        try:
            await self._append("webhooks", at, envelope_line(raw, at))
        except OSError:
            return PlainTextResponse("the delivery could not be stored; retry", 500)
        self.metrics.accepted += 1
        return PlainTextResponse("EVENT_RECEIVED")

    async def click(self, request: Request) -> Response:
        """GET /r/<ref>: log the click (no IP, no User-Agent) and redirect to m.me."""
        ref = request.path_params["ref"]
        page, qr = clicklog.link_query(request.url.query)
        found = await self.registry.resolve(ref, page)
        if found.target is None:
            assert found.problem is not None
            self.metrics.clicks_refused[found.problem] += 1
            # The message repeats the ref and ?page= as given: never to be read as HTML.
            headers = {**NOSNIFF, **NO_STORE}
            if found.problem == "registry_locked":  # not "not registered": not known yet
                return PlainTextResponse(
                    found.message, 503, headers={"retry-after": "5", **headers}
                )
            if found.problem == "registry_unread":  # no registry to call it unknown
                return PlainTextResponse(found.message, 503, headers=headers)
            return PlainTextResponse(found.message, 404, headers=headers)
        t = found.target
        if request.method == "HEAD":  # a link preview or prefetcher, not a visitor
            return RedirectResponse(clicklog.m_me_url(t.page, t.ref), 302,
                                    headers=NO_STORE)  # fmt: skip
        if clicklog.speculative(request.headers):
            # Declined, not redirected: a browser may keep a prefetched redirect and send the
            # real tap straight to m.me, uncounted; an error it keeps not, so the tap comes back.
            self.metrics.clicks_prefetch_declined += 1
            return PlainTextResponse("a prefetch is not a visit: nothing is logged", 503,
                                     headers=NO_STORE)  # fmt: skip
        at = self._now_ms()
        device = clicklog.device_class(request.headers.get("user-agent"))
        try:
            await self._append("clicks", at, clicklog.click_line(at, t.ref, t.page, qr, device))
        except OSError:
            pass  # the visitor still reaches the page; the error is counted and logged
        else:
            self.metrics.clicks += 1
            self.metrics.clicks_unchecked += found.unchecked
        return RedirectResponse(clicklog.m_me_url(t.page, t.ref), 302,
                                headers=NO_STORE)  # fmt: skip

    async def healthz(self, request: Request) -> Response:
        """200 while deliveries (clicks only: clicks) can be logged durably, else 503 with the
        reasons: a load balancer reads only the status."""
        cfg, writer = self.config, self.writer
        problems = await asyncio.to_thread(
            receiver_health.problems, not (cfg.app_secrets or cfg.clicks_only), self.write_probe,
            cfg.max_body, writer.last_error if writer else None,
        )  # fmt: skip
        return JSONResponse({
            "status": "unhealthy" if problems else "ok",
            "problems": problems,
            "accepting_deliveries": bool(cfg.app_secrets) and not cfg.clicks_only,
            "clicks_only": cfg.clicks_only,
            "app_secrets": len(self.config.app_secrets),
            "verify_token_set": bool(self.config.verify_token),  # "" lets no handshake through
            "pending_writes": self.writer.pending if self.writer else 0,
            "uptime_seconds": round(self.clock() - self.started_at, 3),
            "registry": self.registry.health(),
        }, 503 if problems else 200)  # fmt: skip

    async def metrics_text(self, request: Request) -> Response:
        text = self.metrics.render(len(self.registry.refs))
        return PlainTextResponse(text, media_type="text/plain; version=0.0.4")


def create_app(
    config: ReceiverConfig, *, fsync: Callable[[int], None] = os.fsync,
    clock: Callable[[], float] = time.time, started: Callable[[], None] = lambda: None,
) -> Starlette:  # fmt: skip
    """The ASGI app; fsync and clock are injectable for tests and the benchmark's baseline;
    started is called as its lifespan begins."""
    r = Receiver(config, fsync, clock, started)
    app = Starlette(
        routes=[
            # Trailing slashes are taken off first (TrailingSlashes): `/webhook/` is served,
            # not redirected, as a POST redirect is not something to count on a sender following.
            # One route for both methods: a 405's Allow lists every method the URL takes.
            Route("/webhook", r.webhook, methods=["GET", "POST"]),
            Route("/r/{ref}", r.click, methods=["GET"]),
            # Any other address under /r/ (and /r) is a 404 that says no-store.
            *(Route(path, not_a_link, methods=["GET"]) for path in ("/r", "/r/{rest:path}")),
            Route("/healthz", r.healthz, methods=["GET"]),
            Route("/metrics", r.metrics_text, methods=["GET"]),
        ],
        lifespan=r.lifespan,
        middleware=[Middleware(TrailingSlashes)],
        exception_handlers={405: method_not_allowed},
    )
    app.router.redirect_slashes = False  # nothing redirects: an unknown address is a 404
    app.state.receiver = r
    return app


def http_protocol(app: Starlette) -> type[HeaderDeadlineProtocol]:
    """uvicorn's `http=` for the app (serve's, and the tests'): h11 with the headers' deadline,
    a delivery uvicorn refuses before the app sees it (a bad Content-Length) counted too."""
    return header_deadline_protocol(HEADER_TIMEOUT_SECONDS, app.state.receiver.refused_unparsed)


def writer_id() -> str:
    """This process's part of its log file names: several receivers share a log directory
    without clashing (host, process id and a random run id, filename-safe). The run id: two
    containers that share a hostname both run as pid 1 (a Docker or Kubernetes setup writing
    to one shared volume), and host and pid alone would name the same file for both.

    A hostname that cannot be kept as it is (over 40 characters, or with characters a file name
    should not have) is made safe, cut, and followed by a short hash of the whole name, so that
    two pods whose names differ only past the cut still write to different files.
    """
    longest = 40  # characters of the host part
    name = socket.gethostname()
    host = re.sub(r"[^A-Za-z0-9_-]+", "_", name) or "host"
    if host != name or len(host) > longest:
        digest = hashlib.sha256(name.encode("utf-8", "surrogateescape")).hexdigest()[:8]
        host = f"{host[: longest - 9]}-{digest}"
    return f"{host}-{os.getpid()}-{secrets.token_hex(RUN_ID_BYTES)}"


def serve(
    host: str, port: int, log_dir: Path, db_path: Path | None, clicks_only: bool = False, *,
    fsync: Callable[[int], None] = os.fsync,
) -> None:  # fmt: skip
    """Run the receiver on uvicorn until interrupted (configuration from the environment;
    clicks_only: `serve --clicks-only`)."""
    import copy

    import uvicorn
    from uvicorn.config import LOGGING_CONFIG

    config = dataclasses.replace(ReceiverConfig.from_env(log_dir, db_path), writer=writer_id(),
                                 clicks_only=clicks_only)  # fmt: skip
    log_config = copy.deepcopy(LOGGING_CONFIG)
    log_config["loggers"]["refscope"] = {"handlers": ["default"], "level": "INFO",
                                         "propagate": False}  # fmt: skip
    # No access log: its lines would hold client IPs and the handshake's verify token.
    # A stop before uvicorn's handlers are set (its Config, Server and loop being made) is one
    # while starting; once the app starts under them, uvicorn's (then passed on as it was).
    app = create_app(config, fsync=fsync, started=stops_while_starting_until())
    http = http_protocol(app)
    uvicorn.run(app, host=host, port=port, log_config=log_config, access_log=False,
                server_header=False, ws="none", lifespan="on", http=http,
                timeout_graceful_shutdown=10)  # fmt: skip
