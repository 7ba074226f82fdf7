"""Requests that uvicorn's HTTP parser (h11) refuses before the receiver's app sees them,
against `refscope serve` in a process of its own on 127.0.0.1: each gets a prompt 400 and its
connection closed, and one that was a delivery (POST /webhook) is counted in /metrics, as every
other refused delivery is."""

from __future__ import annotations

import os
import socket
import time
from pathlib import Path

import httpx

from tests.ingest.receiver_server import SECRET, TOKEN, serve_process, sign

ENV = {**os.environ, "REFSCOPE_APP_SECRET": SECRET, "REFSCOPE_VERIFY_TOKEN": TOKEN}
RAW = b'{"object":"page","entry":[]}'
INVALID = 'refscope_deliveries_refused_total{reason="invalid_http"}'


def _answer(url: str, request: bytes, seconds: float = 5) -> tuple[bytes, float]:
    """What the server sends before it closes the connection, and how long that took."""
    host, port = url.removeprefix("http://").split(":")
    out = b""
    with socket.create_connection((host, int(port)), timeout=seconds) as sock:
        started = time.monotonic()
        sock.sendall(request)
        try:
            while chunk := sock.recv(4096):
                out += chunk
        except TimeoutError:
            return out + b"<no close>", time.monotonic() - started
    return out, time.monotonic() - started


def _refused(served_url: str, head: bytes, body: bytes = RAW) -> None:
    out, took = _answer(served_url, head + b"\r\n" + body)
    assert out.startswith(b"HTTP/1.1 400 ") and not out.endswith(b"<no close>"), (head, out)
    assert took < 5, (head, took)


def test_a_delivery_with_a_bad_content_length_is_refused_and_counted(tmp_path: Path) -> None:
    signed = b"Host: example\r\nX-Hub-Signature-256: %s\r\n" % sign(RAW).encode()
    with serve_process(tmp_path, ENV) as served:
        for path in (b"/webhook", b"/webhook/", b"/webhook?x=1"):
            for length in (b"twenty", b"-28", b"28\r\nContent-Length: 29", b"28, 29"):
                _refused(served.url, b"POST %s HTTP/1.1\r\n%sContent-Length: %s\r\n" % (
                    path, signed, length))  # fmt: skip
        # Not a delivery: refused as well, not counted as one.
        for line in (b"GET /healthz", b"POST /r/menu", b"POST /webhooks"):
            _refused(served.url, b"%s HTTP/1.1\r\nHost: example\r\nContent-Length: x\r\n" % line)
        metrics = httpx.get(served.url + "/metrics").text
    assert f"{INVALID} 12\n" in metrics
    assert not list((tmp_path / "logs").glob("webhooks-*"))
    assert served.out.count(b"delivery refused: invalid_http") == 12


def test_a_request_with_both_content_length_and_transfer_encoding_is_refused_at_once(
    tmp_path: Path,
) -> None:
    # Its body was read as chunked, the Content-Length ignored: a body that was not chunked
    # waited for a chunk's size line that never came, unanswered until the body's deadline (30
    # s). A front proxy that reads such a body by its Content-Length frames it otherwise than
    # the receiver (request smuggling): RFC 9112 §6.1 lets a server refuse it, and close.
    signed = b"Host: example\r\nX-Hub-Signature-256: %s\r\n" % sign(RAW).encode()
    both = b"Content-Length: %d\r\nTransfer-Encoding: chunked\r\n" % len(RAW)
    chunked = b"%x\r\n%s\r\n0\r\n\r\n" % (len(RAW), RAW)
    with serve_process(tmp_path, ENV) as served:
        _refused(served.url, b"POST /webhook HTTP/1.1\r\n" + signed + both)
        _refused(served.url, b"POST /webhook HTTP/1.1\r\n" + signed + both, chunked)
        _refused(served.url, b"GET /healthz HTTP/1.1\r\nHost: example\r\n" + both, chunked)
        metrics = httpx.get(served.url + "/metrics").text
    assert f"{INVALID} 2\n" in metrics
    assert not list((tmp_path / "logs").glob("webhooks-*"))


def _sent_in_parts(url: str, *parts: bytes) -> bytes:
    """What the server answers to parts sent a moment apart, until it closes (or 5 s pass)."""
    host, port = url.removeprefix("http://").split(":")
    out = b""
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        for part in parts:
            sock.sendall(part)
            time.sleep(0.2)  # the app has begun reading the body, or answered
        try:
            while chunk := sock.recv(4096):
                out += chunk
        except TimeoutError:
            return out + b"<no close>"
    return out


def test_a_delivery_whose_chunked_body_breaks_part_way_is_counted_as_invalid_http(
    tmp_path: Path,
) -> None:
    # h11 refuses a bad chunk once the app is reading the body: uvicorn answered 400 and closed,
    # and the app, told only that the client was gone, counted it as a hang-up (disconnected).
    signed = b"Host: example\r\nX-Hub-Signature-256: %s\r\n" % sign(RAW).encode()
    first = b"5\r\n%s\r\n" % RAW[:5]
    rest = b"%x\r\n%s\r\n0\r\n\r\n" % (len(RAW) - 5, RAW[5:])
    bad = (b"zz\r\n" + RAW[5:] + b"\r\n0\r\n\r\n", b"5\r\n%sXX" % RAW[5:10] + rest)
    with serve_process(tmp_path, ENV) as served:
        for path in (b"/webhook", b"/webhook/"):
            head = b"POST %s HTTP/1.1\r\n%sTransfer-Encoding: chunked\r\n\r\n" % (path, signed)
            for broken in bad:
                out = _sent_in_parts(served.url, head + first, broken)
                assert out.startswith(b"HTTP/1.1 400 ") and not out.endswith(b"<no close>"), out
        # Refused (unsigned) before its body came, then a bad chunk: the connection is closed
        # without a 400 after the 403, and the refusal is not counted twice.
        head = b"POST /webhook HTTP/1.1\r\nHost: example\r\nTransfer-Encoding: chunked\r\n\r\n"
        out = _sent_in_parts(served.url, head + first, bad[0])
        assert out.startswith(b"HTTP/1.1 403 ") and b" 400 " not in out, out
        metrics = httpx.get(served.url + "/metrics").text
    assert f"{INVALID} 4\n" in metrics
    assert 'refscope_deliveries_refused_total{reason="disconnected"} 0\n' in metrics
    assert 'refscope_deliveries_refused_total{reason="missing"} 1\n' in metrics
    assert not list((tmp_path / "logs").glob("webhooks-*"))  # nothing of a partial body
    assert served.out.count(b"delivery refused: invalid_http") == 4
    assert b"Traceback" not in served.out, served.out.decode()
