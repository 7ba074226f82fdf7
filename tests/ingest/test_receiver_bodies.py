"""Request bodies on the receiver, on a real uvicorn server on 127.0.0.1: the 1 MiB cap (and
raising it), 413 for an oversized body, 408 for one that trickles in, and unsigned deliveries
refused before their body arrives."""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ingest.errors import SourceError
from ingest.receiver import MAX_BODY_BYTES, ReceiverConfig
from tests.ingest.receiver_server import (
    SECRET,
    TOKEN,
    WAIT_SECONDS,
    Receiver,
    StartReceiver,
    sign,
    text_delivery,
)


@pytest.mark.parametrize(
    ("setting", "size", "status"),
    [
        (None, 1024 * 1024, 200),
        (None, 1024 * 1024 + 1, 413),
        ("8MB", 2 * 1024 * 1024, 200),
        ("8MB", 8 * 1024 * 1024 + 1, 413),
    ],  # fmt: skip
    ids=["1MiB", "over-1MiB", "raised-2MiB", "over-raised"],
)
def test_the_body_cap_is_1_mib_unless_raised(
    start_receiver: StartReceiver, tmp_path: Path, setting: str | None, size: int, status: int
) -> None:
    environ = {"REFSCOPE_APP_SECRET": SECRET} | ({"REFSCOPE_MAX_BODY": setting} if setting else {})
    receiver = start_receiver(ReceiverConfig.from_env(tmp_path / "logs", environ=environ))
    head = b'{"object":"page","entry":[],"pad":"'
    raw = head + b"x" * (size - len(head) - 2) + b'"}'
    assert len(raw) == size and receiver.post(raw).status_code == status
    assert len(receiver.lines()) == (status == 200)


def test_a_body_cap_that_is_no_size_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="REFSCOPE_MAX_BODY='lots': give a size"):
        ReceiverConfig.from_env(tmp_path, environ={"REFSCOPE_MAX_BODY": "lots"})


def test_oversized_body_is_refused_with_413(
    receiver: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    raw = b'{"object":"page","pad":"' + b"x" * MAX_BODY_BYTES + b'"}'
    assert receiver.post(raw).status_code == 413
    # A batch of Meta's may be this large: the operator is told, not just a debug line.
    (warning,) = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert "REFSCOPE_MAX_BODY" in warning.getMessage(), warning.getMessage()
    assert f"over {MAX_BODY_BYTES} bytes" in warning.getMessage()

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted while streaming
        for i in range(0, len(raw), 64 * 1024):
            yield raw[i : i + 64 * 1024]

    r = receiver.client.post(
        "/webhook", content=chunks(), headers={"X-Hub-Signature-256": sign(raw)}
    )
    assert r.status_code == 413
    assert receiver.lines() == []
    assert receiver.metrics()['refscope_deliveries_refused_total{reason="too_large"}'] == 2


def test_the_413_warning_gives_the_refused_size_when_the_request_told_it(
    receiver: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    """The operator learns how far to raise REFSCOPE_MAX_BODY; the body itself is not logged."""
    raw = b'{"object":"page","pad":"' + b"y" * (3 * MAX_BODY_BYTES) + b'"}'
    assert receiver.post(raw).status_code == 413
    (warning,) = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert f"{len(raw)} bytes" in warning and f"over {MAX_BODY_BYTES} bytes" in warning, warning
    assert "yyyy" not in warning
    caplog.clear()

    # Streamed without a Content-Length, its size is not known: the cap alone is named.
    r = receiver.client.post(
        "/webhook", content=iter([raw[:MAX_BODY_BYTES], raw[MAX_BODY_BYTES:]]),
        headers={"X-Hub-Signature-256": sign(raw)},
    )  # fmt: skip
    assert r.status_code == 413
    (warning,) = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert f"over {MAX_BODY_BYTES} bytes" in warning and str(len(raw)) not in warning, warning


def test_an_unsigned_oversized_request_is_refused_as_unsigned_with_no_cue_to_raise_the_cap(
    receiver: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    """The warning to raise REFSCOPE_MAX_BODY is for a batch Meta may have sent: a request
    without a signature is not one, whatever its size."""
    raw = b'{"object":"page","pad":"' + b"x" * MAX_BODY_BYTES + b'"}'
    r = receiver.client.post("/webhook", content=raw)
    assert r.status_code == 403 and "missing" in r.text
    assert not [r for r in caplog.records if "REFSCOPE_MAX_BODY" in r.getMessage()]
    refused = receiver.metrics()
    assert refused['refscope_deliveries_refused_total{reason="missing"}'] == 1
    assert refused['refscope_deliveries_refused_total{reason="too_large"}'] == 0
    assert receiver.lines() == []


def _sent(receiver: Receiver, request: bytes) -> socket.socket:
    """A connection to the receiver that has sent `request` (raw bytes)."""
    port = int(receiver.url.rsplit(":", 1)[1])
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(request)
    return s


def _first_10_bytes_sent(receiver: Receiver, raw: bytes) -> socket.socket:
    """A connection that has sent a signed delivery's headers and the first 10 bytes of it."""
    return _sent(receiver, b"POST /webhook HTTP/1.1\r\nHost: x\r\nContent-Type: application/json"
                 b"\r\nX-Hub-Signature-256: %s\r\nContent-Length: %d\r\n\r\n%s"
                 % (sign(raw).encode(), len(raw), raw[:10]))  # fmt: skip


def test_a_body_that_trickles_in_is_refused_with_408_and_the_connection_closed(
    start_receiver: StartReceiver, tmp_path: Path
) -> None:
    config = ReceiverConfig(tmp_path / "logs", None, (SECRET,), TOKEN, body_timeout=0.5)
    receiver = start_receiver(config)
    raw = text_delivery()
    with _first_10_bytes_sent(receiver, raw) as s:
        started = time.monotonic()
        answer = b""
        while chunk := s.recv(4096):  # the server closes the connection once it answered
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 408 ")
    assert b"the body did not arrive within 0.5 s" in answer
    assert time.monotonic() - started < 5
    assert receiver.lines() == []
    assert receiver.metrics()['refscope_deliveries_refused_total{reason="slow_body"}'] == 1
    assert receiver.post(raw).status_code == 200  # a prompt body is still taken


def test_a_client_that_hangs_up_mid_body_is_counted_as_refused(receiver: Receiver) -> None:
    # Nothing is logged, as for any refusal, and /metrics says so: a proxy or a sender cut
    # off part way is seen there, not only as deliveries that never came.
    raw = text_delivery()
    _first_10_bytes_sent(receiver, raw).close()  # and hung up
    name = 'refscope_deliveries_refused_total{reason="disconnected"}'
    deadline = time.monotonic() + WAIT_SECONDS
    while receiver.metrics().get(name, 0) < 1:
        assert time.monotonic() < deadline, f"{name} never counted the hang-up"
        time.sleep(0.05)
    assert receiver.metrics()[name] == 1
    assert receiver.lines() == []
    assert receiver.post(raw).status_code == 200  # the next delivery is taken


def test_a_chunk_that_breaks_part_way_is_counted_as_invalid_http_not_a_hang_up(
    receiver: Receiver,
) -> None:
    # In process too, on serve's own protocol class (the fixture's): uvicorn's 400, and the
    # receiver counting it, as `refscope serve` does (test_receiver_unparsed).
    raw = text_delivery()
    head = b"POST /webhook HTTP/1.1\r\nHost: x\r\nX-Hub-Signature-256: %s\r\n" % sign(raw).encode()
    chunks = b"Transfer-Encoding: chunked\r\n\r\n5\r\n%s\r\nnot hex\r\n" % raw[:5]
    with _sent(receiver, head + chunks) as s:
        answer = b""
        while chunk := s.recv(4096):  # the server closes the connection once it answered
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 400 ")
    name = 'refscope_deliveries_refused_total{reason="%s"}'
    deadline = time.monotonic() + WAIT_SECONDS
    while receiver.metrics()[name % "invalid_http"] + receiver.metrics()[name % "disconnected"] < 1:
        assert time.monotonic() < deadline, "the broken body was never counted"
        time.sleep(0.05)
    m = receiver.metrics()
    assert (m[name % "invalid_http"], m[name % "disconnected"]) == (1, 0)
    assert receiver.lines() == []


def test_a_delivery_without_a_signature_is_refused_before_its_body_arrives(
    receiver: Receiver,
) -> None:
    # Whoever cannot sign is not waited for (30 s) nor has a buffer held for it.
    port = int(receiver.url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(b"POST /webhook HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")
        answer = b""
        while not answer.endswith(b"X-Hub-Signature-256 missing") and (chunk := s.recv(4096)):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 403 ") and answer.endswith(b"missing")
    assert receiver.metrics()['refscope_deliveries_refused_total{reason="missing"}'] == 1


def test_a_body_has_30_seconds_to_arrive_unless_told_otherwise(tmp_path: Path) -> None:
    # Enough for a batch of Meta's on a slow link; a trickling client is cut off after it.
    assert ReceiverConfig(tmp_path).body_timeout == 30.0
    assert ReceiverConfig.from_env(tmp_path, environ={}).body_timeout == 30.0


def read_answer(s: socket.socket) -> tuple[bytes, bytes]:
    """One response's head (status line and headers, lower-cased) and body, off a socket."""
    data = b""
    while b"\r\n\r\n" not in data and (chunk := s.recv(4096)):
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    (length,) = [
        ln.split(b":")[1] for ln in head.split(b"\r\n") if ln.lower().startswith(b"content-length:")
    ]
    while len(body) < int(length) and (chunk := s.recv(4096)):
        body += chunk
    return head.lower(), body


@pytest.mark.parametrize(
    ("secrets", "signature", "size", "status"),
    [
        ((SECRET,), None, 100, b"403"),
        ((SECRET,), "sha256=" + "0" * 64, MAX_BODY_BYTES + 1, b"413"),
        ((), "sha256=" + "0" * 64, 100, b"503"),
    ],
    ids=["unsigned", "too-large", "no-secret"],
)
def test_a_refusal_before_a_body_awaiting_100_continue_closes_the_connection(
    start_receiver: StartReceiver, tmp_path: Path, secrets: tuple[str, ...],
    signature: str | None, size: int, status: bytes,
) -> None:  # fmt: skip
    """A client that sent `Expect: 100-continue` and got a final answer instead need not send
    its body: kept open, the connection would take its next request as that body (misread, or
    waited on for ever)."""
    receiver = start_receiver(ReceiverConfig(tmp_path / "logs", None, secrets, TOKEN))
    port = int(receiver.url.rsplit(":", 1)[1])
    signed = b"X-Hub-Signature-256: %s\r\n" % signature.encode() if signature else b""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        s.sendall(b"POST /webhook HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n"
                  b"Expect: 100-continue\r\n%s\r\n" % (size, signed))  # fmt: skip
        head, _ = read_answer(s)
        assert head.startswith(b"http/1.1 " + status) and b"\r\nconnection: close" in head, head
        assert s.recv(4096) == b""  # closed by the server, not left waiting for the body
    assert receiver.lines() == []


def test_a_signed_delivery_awaiting_100_continue_is_taken_on_a_kept_connection(
    receiver: Receiver,
) -> None:
    raw = text_delivery()
    port = int(receiver.url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        s.sendall(b"POST /webhook HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n"
                  b"Expect: 100-continue\r\nX-Hub-Signature-256: %s\r\n\r\n"
                  % (len(raw), sign(raw).encode()))  # fmt: skip
        assert s.recv(4096).startswith(b"HTTP/1.1 100 ")
        s.sendall(raw)
        head, body = read_answer(s)
        assert head.startswith(b"http/1.1 200 ") and body == b"EVENT_RECEIVED"
        assert b"connection: close" not in head
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        head, _ = read_answer(s)
        assert head.startswith(b"http/1.1 200 ")
    assert len(receiver.lines()) == 1
