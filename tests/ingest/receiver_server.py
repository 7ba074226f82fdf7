"""A receiver on a real uvicorn server on 127.0.0.1 for the tests, Meta-style requests, and the
fixtures that start one."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from ingest import db, links
from ingest.receiver import ReceiverConfig, create_app, http_protocol
from tests import factories as f

SECRET = os.urandom(16).hex()
OTHER_SECRET = os.urandom(16).hex()
TOKEN = os.urandom(12).hex()
WAIT_SECONDS = 120  # for a receiver to start, stop or do what a test waits on, on a loaded machine
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Mobile/15E148 [FBAN/FBIOS;FBAV/456.0.0.41.109]"
)


def meta_json(obj: object) -> bytes:
    """Meta's serialisation: compact, \\uXXXX (lowercase hex) for non-ASCII, `/` as `\\/`."""
    return json.dumps(obj, separators=(",", ":")).replace("/", "\\/").encode("ascii")


def sign(raw: bytes, secret: str = SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()


class ThreadedServer(uvicorn.Server):
    """uvicorn in a thread, with an event set once it accepts connections (httpx's tests)."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.ready = threading.Event()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        self.ready.set()


@dataclass
class Receiver:
    url: str
    log_dir: Path
    client: httpx.Client
    seen: list[httpx.Response] = field(default_factory=list)

    def post(self, raw: bytes, signature: str | None = "sign", **headers: str) -> httpx.Response:
        if signature == "sign":
            signature = sign(raw)
        if signature is not None:
            headers["X-Hub-Signature-256"] = signature
        return self.client.post("/webhook", content=raw, headers=headers)

    def get(self, path: str, **kw: Any) -> httpx.Response:
        return self.client.get(path, **kw)

    def lines(self, stream: str = "webhooks") -> list[bytes]:
        out: list[bytes] = []
        for path in sorted(self.log_dir.glob(f"{stream}-*.ndjson")):
            out.extend(path.read_bytes().splitlines())
        return out

    def metrics(self) -> dict[str, float]:
        text = self.get("/metrics").text
        pairs = (line.rsplit(" ", 1) for line in text.splitlines() if not line.startswith("#"))
        return {name: float(value) for name, value in pairs}


StartReceiver = Callable[..., Receiver]


@dataclass
class HeldFsync:
    """An fsync held by the test: each call waits, in_fsync set, until the test sets release
    (a disk slow to sync, a batch left in flight)."""

    in_fsync: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)

    def __call__(self, fd: int) -> None:
        if not self.release.is_set():
            self.in_fsync.set()
            assert self.release.wait(WAIT_SECONDS)
        os.fsync(fd)


def text_delivery(text: str = "hello", mid: str = "m_1", ts: int = f.T0) -> bytes:
    return meta_json(f.delivery(f.message(text, mid=mid, ts=ts)))


def register(db_path: Path, *new: links.Link) -> None:
    con = db.connect(db_path)
    try:
        links.register(con, list(new))
    finally:
        con.close()


def scan_is_sent_to_its_page(receiver: Receiver, ref: str, page: str) -> None:
    """A phone's scan of /r/<ref>?page=<page>&qr=1, the receiver's first click: redirected to
    the page's m.me link and logged as a QR scan from a mobile."""
    r = receiver.get(f"/r/{ref}", params={"page": page, "qr": "1"},
                     headers={"User-Agent": IPHONE})  # fmt: skip
    assert r.status_code == 302, r.text
    assert r.headers["location"] == f"https://m.me/{page}?ref={ref}"
    (line,) = receiver.lines("clicks")
    got = json.loads(line)
    assert (got["ref"], got["page"], got["qr"], got["device"]) == (ref, page, True, "mobile")


def rules_refuse_and_one_click_was_unchecked(receiver: Receiver, refused: str) -> None:
    """After scan_is_sent_to_its_page with no registry to check it (locked, or never read) and
    one link without a page refused as `refused`: what the rules refuse stays refused (404,
    nothing logged), and the metrics count the one click, unchecked."""
    assert receiver.get("/r/bad%20ref", params={"page": f.PAGE_USERNAME}).status_code == 404
    assert receiver.get("/r/window_qr", params={"page": "no"}).status_code == 404
    assert len(receiver.lines("clicks")) == 1
    m = receiver.metrics()
    assert (m["refscope_clicks_total"], m["refscope_clicks_unchecked_total"]) == (1, 1)
    assert m[f'refscope_clicks_refused_total{{reason="{refused}"}}'] == 1


# --- fixtures (tests/ingest/conftest.py and tests/test_secrets.py import them) ---------------


@pytest.fixture
def start_receiver(tmp_path: Path) -> Iterator[StartReceiver]:
    """Start the app on a real uvicorn server on a free 127.0.0.1 port; stopped after the test."""
    running: list[tuple[ThreadedServer, threading.Thread, socket.socket, httpx.Client]] = []

    def start(config: ReceiverConfig | None = None, **kw: Any) -> Receiver:
        config = config or ReceiverConfig(
            tmp_path / "logs", None, (SECRET,), TOKEN, registry_refresh=0.0
        )
        app = create_app(config, **kw)
        server = ThreadedServer(uvicorn.Config(  # on h11 with serve's own protocol class
            app, log_config=None, access_log=False, http=http_protocol(app), ws="none",
            lifespan="on", loop="asyncio",
        ))  # fmt: skip
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        assert server.ready.wait(WAIT_SECONDS), "the receiver did not start"
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        receiver = Receiver(url, config.log_dir, httpx.Client(base_url=url, timeout=WAIT_SECONDS))
        receiver.client.event_hooks["response"] = [lambda r: receiver.seen.append(r)]
        running.append((server, thread, sock, receiver.client))
        return receiver

    yield start
    for server, thread, sock, client in running:
        client.close()
        server.should_exit = True
        thread.join(10)
        sock.close()


@pytest.fixture
def receiver(start_receiver: StartReceiver) -> Receiver:
    return start_receiver()


@pytest.fixture
def click_receiver(start_receiver: StartReceiver, db_path: Path, tmp_path: Path) -> Receiver:
    register(
        db_path,
        links.make_link(f.PAGE_USERNAME, "spring_menu", "qr"),
        links.make_link(f.PAGE_USERNAME, "promo=2024"),
        links.make_link(f.PAGE_USERNAME, "menu"),
        links.make_link("otherbakery", "menu"),
    )
    config = ReceiverConfig(tmp_path / "logs", db_path, (SECRET,), TOKEN, registry_refresh=0.0)
    return start_receiver(config)


@pytest.fixture
def compared(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """What hmac.compare_digest is asked to compare against, call by call, from now on."""
    seen: list[bytes] = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        seen.append(b)
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    return seen


@dataclass
class ServeProcess:
    """`refscope serve` in a process of its own: its URL, then (once stopped) its output."""

    proc: subprocess.Popen[bytes]
    url: str
    out: bytes = b""


@contextmanager
def serve_process(
    tmp_path: Path, env: Mapping[Any, Any], output: Path | None = None,
    command: tuple[str, ...] = (sys.executable, "-m", "ingest"), options: tuple[str, ...] = (),
) -> Iterator[ServeProcess]:  # fmt: skip
    """Run `python -m ingest serve` (or `command` serve), with options, on a free port of
    127.0.0.1 with env, logging to tmp_path/logs, until it answers /healthz; SIGTERM it on the
    way out (its output is then in .out, and in the file `output` while it runs, when given)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    args = [*command, "serve", "--port", str(port),
            "--log-dir", str(tmp_path / "logs"), "--db", str(tmp_path / "none.duckdb"),
            *options]  # fmt: skip
    sink = output.open("wb") if output is not None else None
    proc = subprocess.Popen(args, env=env, stdout=sink or subprocess.PIPE, stderr=subprocess.STDOUT)
    served = ServeProcess(proc, f"http://127.0.0.1:{port}")
    try:
        deadline = time.monotonic() + WAIT_SECONDS
        while True:
            try:
                httpx.get(served.url + "/healthz").raise_for_status()
                break
            except httpx.TransportError:
                assert proc.poll() is None, f"serve ended while starting: {proc.returncode}"
                assert time.monotonic() < deadline, "serve did not start"
                time.sleep(0.05)
        yield served
    finally:
        proc.terminate()
        served.out, _ = proc.communicate(timeout=WAIT_SECONDS)
        if sink is not None:
            sink.close()
            served.out = Path(sink.name).read_bytes()
