"""Several `refscope serve` processes on one log directory: no clash, every delivery and every
scan once."""

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
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from ingest import pipeline
from tests import factories as f
from tests.conftest import Query
from tests.ingest.receiver_server import WAIT_SECONDS

SECRET = "parallel-test-app-secret"
RECEIVERS = 3
DELIVERIES = 6000
CLICKS = 600
REF = "poster_1"
PHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def receivers(tmp_path: Path) -> Iterator[tuple[list[str], Path]]:
    log_dir = tmp_path / "logs"
    f.register_qr(tmp_path / "links.duckdb", REF)  # the registry every receiver reads
    env = {**os.environ, "REFSCOPE_APP_SECRET": SECRET, "REFSCOPE_VERIFY_TOKEN": "t"}
    procs, urls = [], []
    for _ in range(RECEIVERS):
        port = free_port()
        args = [sys.executable, "-m", "ingest", "serve", "--host", "127.0.0.1",
                "--port", str(port), "--log-dir", str(log_dir),
                "--db", str(tmp_path / "links.duckdb")]  # fmt: skip
        procs.append(subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL))  # fmt: skip
        urls.append(f"http://127.0.0.1:{port}")
    try:
        for url, proc in zip(urls, procs, strict=True):
            deadline = time.monotonic() + WAIT_SECONDS
            while True:
                try:
                    httpx.get(url + "/healthz").raise_for_status()
                    break
                except httpx.TransportError:
                    assert time.monotonic() < deadline and proc.poll() is None, "no start"
                    time.sleep(0.05)
        yield urls, log_dir
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=WAIT_SECONDS)


def test_three_receivers_share_a_log_directory(
    receivers: tuple[list[str], Path], db_path: Path, query: Query
) -> None:
    urls, log_dir = receivers
    bodies = [
        json.dumps(f.delivery(f.message(f"m{i}", psid=str(7_000_000 + i % 500),
                                        ts=f.T0 + i * 1000, mid=f"m_par_{i}"))).encode()
        for i in range(DELIVERIES)
    ]  # fmt: skip

    local = threading.local()
    clients: list[httpx.Client] = []

    def post(i: int) -> int:
        if not hasattr(local, "client"):  # one keep-alive client per worker thread
            local.client = httpx.Client(timeout=30)
            clients.append(local.client)
        raw = bodies[i]
        sig = "sha256=" + hmac.new(SECRET.encode(), raw, hashlib.sha256).hexdigest()
        return int(
            local.client.post(
                urls[i % RECEIVERS] + "/webhook", content=raw,
                headers={"X-Hub-Signature-256": sig, "Content-Type": "application/json"},
            ).status_code
        )  # fmt: skip

    try:
        with ThreadPoolExecutor(max_workers=12) as pool:
            statuses = list(pool.map(post, range(DELIVERIES)))
    finally:
        for client in clients:
            client.close()
    assert statuses == [200] * DELIVERIES
    files = sorted(log_dir.glob("webhooks-*.ndjson"))
    assert len(files) == RECEIVERS  # one file per process: host, pid and run id
    assert len({p.name.split(".")[1] for p in files}) == RECEIVERS
    pipeline.run([str(log_dir)], db_path)
    assert query.scalar("SELECT count(*) FROM events WHERE kind = 'message'") == DELIVERIES
    assert query.scalar("SELECT count(DISTINCT mid) FROM events") == DELIVERIES
    assert query.scalar("SELECT count(*) FROM rejects") == 0


def test_three_receivers_log_each_scan_once_in_click_logs_of_their_own(
    receivers: tuple[list[str], Path], db_path: Path, query: Query
) -> None:
    """Scans of one code, at once on every receiver: each process appends to a click log of its
    own, and the ingest counts every scan once, those logged alike in one millisecond too."""
    urls, log_dir = receivers

    def scan(i: int) -> int:
        with httpx.Client(timeout=30) as client:
            return int(
                client.get(f"{urls[i % RECEIVERS]}/r/{REF}?qr=1",
                           headers={"User-Agent": PHONE}).status_code
            )  # fmt: skip

    with ThreadPoolExecutor(max_workers=12) as pool:
        statuses = list(pool.map(scan, range(CLICKS)))
    assert statuses == [302] * CLICKS
    files = sorted(log_dir.glob("clicks-*.ndjson"))
    assert len(files) == RECEIVERS and not list(log_dir.glob("webhooks-*"))
    assert len({p.name.split(".")[1] for p in files}) == RECEIVERS
    assert sum(len(p.read_bytes().splitlines()) for p in files) == CLICKS
    pipeline.run([str(log_dir)], db_path)
    assert query(
        "SELECT count(*), count(*) FILTER (WHERE qr AND device = 'mobile') FROM clicks"
    ) == [(CLICKS, CLICKS)]
    assert query.scalar("SELECT count(DISTINCT file) FROM clicks") == RECEIVERS
    assert query.scalar("SELECT count(*) FROM rejects") == 0
