"""A client that never finishes its request's headers (slowloris: a line every few seconds, or
nothing at all after connecting) against `refscope serve` in a process of its own on 127.0.0.1:
its connection is closed once the headers' deadline passes, as a body's is after its own, and a
request whose headers came in time is not cut off by it."""

from __future__ import annotations

import os
import socket
import sys
import time
from pathlib import Path

from tests.ingest.receiver_server import SECRET, TOKEN, serve_process, sign

# `refscope serve` with a headers deadline of 1 s instead of 30 s, so that the test is short.
SHORT_DEADLINE = (
    sys.executable, "-c",
    "import runpy, ingest.receiver as r; r.HEADER_TIMEOUT_SECONDS = 1.0; "
    "runpy.run_module('ingest', run_name='__main__')",
)  # fmt: skip
ENV = {**os.environ, "REFSCOPE_APP_SECRET": SECRET, "REFSCOPE_VERIFY_TOKEN": TOKEN}


def _connect(url: str) -> socket.socket:
    host, port = url.removeprefix("http://").split(":")
    return socket.create_connection((host, int(port)), timeout=10)


def _closed_within(sock: socket.socket, seconds: float, trickle: bytes = b"") -> bool:
    """Whether the server closes sock within seconds, while `trickle` is sent every 0.2 s."""
    sock.settimeout(0.2)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if sock.recv(4096) == b"":
                return True
        except TimeoutError:
            pass
        except ConnectionError:
            return True
        if trickle:
            try:
                sock.sendall(trickle)
            except OSError:
                return True
    return False


def test_headers_that_never_end_or_never_start_lose_their_connection(tmp_path: Path) -> None:
    with serve_process(tmp_path, ENV, command=SHORT_DEADLINE) as served:
        trickling = _connect(served.url)
        trickling.sendall(b"POST /webhook HTTP/1.1\r\nHost: example\r\n")
        silent = _connect(served.url)
        with trickling, silent:
            assert _closed_within(trickling, 8, trickle=b"X-Slow: 1\r\n")
            assert _closed_within(silent, 8)


def test_the_deadline_counts_again_for_the_next_request_on_a_kept_connection(
    tmp_path: Path,
) -> None:
    with serve_process(tmp_path, ENV, command=SHORT_DEADLINE) as served:
        with _connect(served.url) as sock:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: example\r\n\r\n")
            assert sock.recv(4096).startswith(b"HTTP/1.1 200")
            sock.sendall(b"GET /healthz HTTP/1.1\r\n")  # and no more
            assert _closed_within(sock, 8, trickle=b"X-Slow: 1\r\n")


def test_a_request_whose_headers_came_in_time_is_not_cut_off_by_their_deadline(
    tmp_path: Path,
) -> None:
    """Its body has the body's own deadline (30 s): one sent 3 s after its headers is logged."""
    raw = b'{"object":"page","entry":[]}'
    head = (b"POST /webhook HTTP/1.1\r\nHost: example\r\nContent-Type: application/json\r\n"
            b"X-Hub-Signature-256: %s\r\nContent-Length: %d\r\n\r\n")  # fmt: skip
    with serve_process(tmp_path, ENV, command=SHORT_DEADLINE) as served:
        with _connect(served.url) as sock:
            sock.sendall(head % (sign(raw).encode(), len(raw)))
            assert not _closed_within(sock, 3)
            sock.settimeout(10)
            sock.sendall(raw)
            assert sock.recv(4096).startswith(b"HTTP/1.1 200")
    (log,) = (tmp_path / "logs").glob("webhooks-*.ndjson")
    assert raw in log.read_bytes()
