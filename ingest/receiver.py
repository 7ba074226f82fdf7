"""The webhook receiver: an ASGI app that verifies Meta's signature over the raw body, appends
each delivery (and each tracked-link click) to NDJSON logs, and answers only once it is durable.

It never parses a delivery into events (the ingest does) and never writes a secret anywhere.
Facts about Meta's handshake and signature: /work/shared/messenger-webhooks.md §5.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
import hmac
import json
import logging
import os
import re
import time
from collections.abc import AsyncIterator, Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from . import clicklog

log = logging.getLogger("refscope.receiver")

MAX_BODY_BYTES = 1024 * 1024  # far above a real batch; bounds what a bad client makes us hold
SIGNATURE_HEADER = "x-hub-signature-256"
_SIGNATURE = re.compile(r"(?i:sha256)=[0-9a-fA-F]{64}")
_DIGITS = re.compile(r"[0-9]+")
REFUSALS = ("missing", "malformed", "mismatch", "no_secret_configured", "too_large")
OPEN_FILES = 4  # log files kept open: today's two, and yesterday's around midnight


@dataclass(frozen=True)
class ReceiverConfig:
    """What `refscope serve` runs with; secrets never appear in its repr."""

    log_dir: Path
    """Where webhooks-YYYY-MM-DD.ndjson and clicks-YYYY-MM-DD.ndjson are appended."""
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

    @classmethod
    def from_env(
        cls, log_dir: Path, db_path: Path | None = None, environ: Mapping[str, str] = os.environ,
        **kw: Any,
    ) -> ReceiverConfig:  # fmt: skip
        """Secrets from REFSCOPE_APP_SECRET (comma-separated) and REFSCOPE_VERIFY_TOKEN."""
        raw = environ.get("REFSCOPE_APP_SECRET", "")
        secrets = tuple(s.strip() for s in raw.split(",") if s.strip())
        token = environ.get("REFSCOPE_VERIFY_TOKEN", "").strip() or None
        return cls(log_dir, db_path, secrets, token, **kw)


def log_file(log_dir: Path, stream: str, at_ms: int, writer: str = "") -> Path:
    """The one place that names log files: <stream>-YYYY-MM-DD[.<writer>].ndjson, UTC day."""
    day = dt.datetime.fromtimestamp(at_ms / 1000, dt.UTC).date().isoformat()
    return log_dir / f"{stream}-{day}{'.' + writer if writer else ''}.ndjson"


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
    # Every secret is tried, so the time taken does not say which one matched.
    matches = [
        hmac.compare_digest(hmac.new(s.encode(), raw, hashlib.sha256).digest(), given)
        for s in secrets
    ]
    return None if any(matches) else "mismatch"


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def is_json(raw: bytes) -> bool:
    """Strict UTF-8 JSON text (no NaN, no BOM, no raw control characters in strings)."""
    try:
        json.loads(raw.decode("utf-8"), parse_constant=_no_constant)
    except (ValueError, RecursionError):
        return False
    return True


def envelope_line(raw: bytes, received_at_ms: int) -> bytes:
    """The log line for a delivery: its raw bytes untouched, or as a string if not JSON."""
    if is_json(raw):
        # Valid JSON holds CR/LF only as whitespace between tokens: spaces keep it one line.
        body = raw.replace(b"\r", b" ").replace(b"\n", b" ")
    else:
        body = json.dumps(raw.decode("utf-8", "backslashreplace")).encode("ascii")
    return b'{"received_at":%d,"body":%s}\n' % (received_at_ms, body)


class Metrics:
    """Counters for /metrics; touched only on the event loop."""

    def __init__(self) -> None:
        self.accepted = 0
        self.refused = dict.fromkeys(REFUSALS, 0)
        self.write_errors = 0
        self.bytes_written = 0
        self.lines_written = 0
        self.batches = 0
        self.fsync_sum = 0.0
        self.fsync_count = 0
        self.fsync_max = 0.0
        self.clicks = 0
        self.clicks_refused = {"unknown_ref": 0, "ambiguous_page": 0}

    def render(self, registry_refs: int) -> str:
        """The Prometheus text exposition format."""

        def by(label: str, counts: Mapping[str, int]) -> dict[str, float]:
            return {f'{{{label}="{k}"}}': v for k, v in counts.items()}

        families: list[tuple[str, str, str, Mapping[str, float]]] = [
            ("deliveries_accepted_total", "counter", "Deliveries verified and durably logged.",
             {"": self.accepted}),
            ("deliveries_refused_total", "counter", "Deliveries refused, by reason.",
             by("reason", self.refused)),
            ("write_errors_total", "counter", "Requests whose line could not be written.",
             {"": self.write_errors}),
            ("bytes_written_total", "counter", "Bytes appended to the logs.",
             {"": self.bytes_written}),
            ("lines_written_total", "counter", "Lines appended to the logs.",
             {"": self.lines_written}),
            ("write_batches_total", "counter", "Group commits: one write and fsync per file.",
             {"": self.batches}),
            ("fsync_seconds", "summary", "Time spent in fsync.",
             {"_sum": self.fsync_sum, "_count": self.fsync_count}),
            ("fsync_seconds_max", "gauge", "Longest single fsync.", {"": self.fsync_max}),
            ("clicks_total", "counter", "Tracked-link clicks and scans logged.",
             {"": self.clicks}),
            ("clicks_refused_total", "counter", "Clicks answered 404, by reason.",
             by("reason", self.clicks_refused)),
            ("registry_refs", "gauge", "Refs in the cached tracked-links registry.",
             {"": registry_refs}),
        ]  # fmt: skip
        out: list[str] = []
        for name, kind, help_, values in families:
            out.append(f"# HELP refscope_{name} {help_}\n# TYPE refscope_{name} {kind}")
            out.extend(f"refscope_{name}{suffix} {value!r}" for suffix, value in values.items())
        return "\n".join(out) + "\n"


@dataclass(frozen=True)
class BatchStats:
    bytes: int
    lines: int
    fsyncs: list[float]


class LogWriter:
    """Group commit: one task takes every pending line, writes and fsyncs each file once in a
    thread, then resolves the waiting requests. No line is acknowledged before its fsync."""

    def __init__(self, metrics: Metrics, fsync: Callable[[int], None] = os.fsync) -> None:
        self.metrics = metrics
        self.fsync = fsync
        self._pending: list[tuple[Path, bytes, asyncio.Future[None]]] = []
        self._wake = asyncio.Event()
        self._closing = False
        self._task: asyncio.Task[None] | None = None
        self._files: dict[Path, int] = {}  # used only by the writer thread
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="refscope-log")

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def append(self, path: Path, line: bytes) -> None:
        """Return once line is on disk; raise OSError if it could not be written."""
        if self._closing or self._task is None or self._task.done():
            raise OSError("the log writer is not running")
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append((path, line, future))
        self._wake.set()
        await future

    @property
    def pending(self) -> int:
        return len(self._pending)

    async def close(self) -> None:
        """Write what is pending, then close the files."""
        self._closing = True
        self._wake.set()
        if self._task is not None:
            await self._task
        await asyncio.get_running_loop().run_in_executor(self._pool, self._close_files)
        self._pool.shutdown()

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await self._wake.wait()
            self._wake.clear()
            batch, self._pending = self._pending, []
            if not batch:
                if self._closing:
                    return
                continue
            try:
                stats = await loop.run_in_executor(self._pool, self._write, batch)
            except Exception as exc:
                log.error("log write failed, %d requests answered 500: %s", len(batch), exc)
                self.metrics.write_errors += len(batch)
                for _, _, fut in batch:
                    if not fut.done():
                        fut.set_exception(OSError("log write failed"))
                continue
            m = self.metrics
            m.batches += 1
            m.bytes_written += stats.bytes
            m.lines_written += stats.lines
            m.fsync_sum += sum(stats.fsyncs)
            m.fsync_count += len(stats.fsyncs)
            m.fsync_max = max(m.fsync_max, *stats.fsyncs)
            for _, _, fut in batch:
                if not fut.done():
                    fut.set_result(None)

    def _write(self, batch: list[tuple[Path, bytes, asyncio.Future[None]]]) -> BatchStats:
        by_path: dict[Path, list[bytes]] = {}
        for path, line, _ in batch:
            by_path.setdefault(path, []).append(line)
        written, fsyncs = 0, []
        fds = []
        for path, lines in by_path.items():
            fd, torn = self._open(path)
            data = (b"\n" if torn else b"") + b"".join(lines)
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view) :]
            except OSError:
                self._forget(path)
                raise
            written += len(data)
            fds.append((path, fd))
        for path, fd in fds:
            t0 = time.perf_counter()
            try:
                self.fsync(fd)
            except OSError:
                self._forget(path)
                raise
            fsyncs.append(time.perf_counter() - t0)
        return BatchStats(written, len(batch), fsyncs)

    def _open(self, path: Path) -> tuple[int, bool]:
        """The file's descriptor, and whether it ends in a torn line (a crash mid-write)."""
        if path in self._files:
            return self._files[path], False
        if len(self._files) >= OPEN_FILES:
            self._close_files()
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o640)
        size = os.fstat(fd).st_size
        if size == 0:  # possibly new: make its directory entry durable too
            dir_fd = os.open(path.parent, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
        self._files[path] = fd
        # A line without its newline would swallow the next line written: start a fresh one.
        return fd, size > 0 and os.pread(fd, 1, size - 1) != b"\n"

    def _forget(self, path: Path) -> None:
        fd = self._files.pop(path, None)
        if fd is not None:
            os.close(fd)

    def _close_files(self) -> None:
        for path in list(self._files):
            self._forget(path)


class Receiver:
    """The routes and their shared state: config, log writer, registry, metrics."""

    def __init__(
        self, config: ReceiverConfig, fsync: Callable[[int], None] = os.fsync,
        clock: Callable[[], float] = time.time,
    ) -> None:  # fmt: skip
        self.config = config
        self.clock = clock
        self.metrics = Metrics()
        self.fsync = fsync
        self.writer: LogWriter | None = None
        self.registry = clicklog.Registry(config.db_path, config.registry_refresh)
        self.started_at = clock()

    def _now_ms(self) -> int:
        return int(self.clock() * 1000)

    @contextlib.asynccontextmanager
    async def lifespan(self, app: Starlette) -> AsyncIterator[None]:
        self.config.log_dir.mkdir(parents=True, exist_ok=True)
        self.writer = LogWriter(self.metrics, self.fsync)
        self.writer.start()
        cfg = self.config
        log.info("logging to %s; %d app secret(s); verify token %s", cfg.log_dir,
                 len(cfg.app_secrets), "set" if cfg.verify_token else "NOT set")  # fmt: skip
        if not cfg.app_secrets:
            log.warning("REFSCOPE_APP_SECRET is not set: every POST /webhook is refused (503)")
        await self.registry.refresh()
        try:
            yield
        finally:
            await self.registry.close()
            await self.writer.close()

    async def _append(self, stream: str, at_ms: int, line: bytes) -> None:
        assert self.writer is not None, "the app runs without its lifespan"
        await self.writer.append(log_file(self.config.log_dir, stream, at_ms, self.config.writer),
                                 line)  # fmt: skip

    async def handshake(self, request: Request) -> Response:
        """GET /webhook: echo hub.challenge when hub.verify_token is ours."""
        q = request.query_params
        if not self.config.verify_token:
            return PlainTextResponse("REFSCOPE_VERIFY_TOKEN is not set on this receiver", 503)
        if q.get("hub.mode") != "subscribe" or "hub.challenge" not in q:
            return PlainTextResponse("expected hub.mode=subscribe and a hub.challenge", 400)
        given = q.get("hub.verify_token", "").encode()
        if not hmac.compare_digest(given, self.config.verify_token.encode()):
            return PlainTextResponse("wrong hub.verify_token", 403)
        return PlainTextResponse(q["hub.challenge"], headers={"x-content-type-options": "nosniff"})

    def _refuse(self, reason: str, status: int, message: str) -> Response:
        self.metrics.refused[reason] += 1
        log.info("delivery refused: %s", reason)
        return PlainTextResponse(message, status)

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
        length = request.headers.get("content-length")
        if length is not None and not _DIGITS.fullmatch(length):
            return PlainTextResponse("invalid Content-Length", 400)
        if length is not None and int(length) > cfg.max_body:
            return self._refuse("too_large", 413, too_large)
        header = request.headers.get(SIGNATURE_HEADER)
        problem = header_problem(header)
        if problem:
            return self._refuse(problem, 403, f"X-Hub-Signature-256 {problem}")
        try:
            raw = await self._read_body(request)
        except ClientDisconnect:
            return PlainTextResponse("the body did not arrive", 400)  # nobody reads this
        if raw is None:
            return self._refuse("too_large", 413, too_large)
        problem = signature_problem(raw, header, cfg.app_secrets)
        if problem:
            return self._refuse(problem, 403, f"X-Hub-Signature-256 {problem}")
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
        found = await self.registry.resolve(ref, request.query_params.get("page"))
        if found.target is None:
            assert found.problem is not None
            self.metrics.clicks_refused[found.problem] += 1
            return PlainTextResponse(found.message, 404)
        t = found.target
        at = self._now_ms()
        qr = request.query_params.get("qr") == "1"
        device = clicklog.device_class(request.headers.get("user-agent"))
        try:
            await self._append("clicks", at, clicklog.click_line(at, t.ref, t.page, qr, device))
        except OSError:
            pass  # the visitor still reaches the page; the error is counted and logged
        else:
            self.metrics.clicks += 1
        return RedirectResponse(clicklog.m_me_url(t.page, t.ref), 302,
                                headers={"cache-control": "no-store"})  # fmt: skip

    async def healthz(self, request: Request) -> Response:
        return JSONResponse({
            "status": "ok",
            "accepting_deliveries": bool(self.config.app_secrets),
            "app_secrets": len(self.config.app_secrets),
            "verify_token_set": self.config.verify_token is not None,
            "pending_writes": self.writer.pending if self.writer else 0,
            "uptime_seconds": round(self.clock() - self.started_at, 3),
            "registry": self.registry.health(),
        })  # fmt: skip

    async def metrics_text(self, request: Request) -> Response:
        text = self.metrics.render(len(self.registry.refs))
        return PlainTextResponse(text, media_type="text/plain; version=0.0.4")


def create_app(
    config: ReceiverConfig, *, fsync: Callable[[int], None] = os.fsync,
    clock: Callable[[], float] = time.time,
) -> Starlette:  # fmt: skip
    """The ASGI app; fsync and clock are injectable for tests and the benchmark's baseline."""
    r = Receiver(config, fsync, clock)
    app = Starlette(
        routes=[
            Route("/webhook", r.handshake, methods=["GET"]),
            Route("/webhook", r.deliver, methods=["POST"]),
            Route("/r/{ref}", r.click, methods=["GET"]),
            Route("/healthz", r.healthz, methods=["GET"]),
            Route("/metrics", r.metrics_text, methods=["GET"]),
        ],
        lifespan=r.lifespan,
    )
    app.state.receiver = r
    return app


def serve(
    host: str, port: int, log_dir: Path, db_path: Path | None, *,
    fsync: Callable[[int], None] = os.fsync,
) -> None:  # fmt: skip
    """Run the receiver on uvicorn until interrupted (configuration from the environment)."""
    import copy

    import uvicorn
    from uvicorn.config import LOGGING_CONFIG

    config = ReceiverConfig.from_env(log_dir, db_path)
    log_config = copy.deepcopy(LOGGING_CONFIG)
    log_config["loggers"]["refscope"] = {"handlers": ["default"], "level": "INFO",
                                         "propagate": False}  # fmt: skip
    # No access log: its lines would hold client IPs and the handshake's verify token.
    uvicorn.run(create_app(config, fsync=fsync), host=host, port=port, log_config=log_config,
                access_log=False, server_header=False, ws="none", lifespan="on",
                timeout_graceful_shutdown=10)  # fmt: skip
