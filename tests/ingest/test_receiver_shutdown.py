"""The receiver stopping (SIGTERM, Ctrl-C) while deliveries are in flight, on a real uvicorn
server on 127.0.0.1: what was answered 200 is on disk, and what was not is not written for Meta's
retry to add a second copy (https://developers.facebook.com/docs/messenger-platform/faq)."""

from __future__ import annotations

import json
import os
import signal
import socket
import threading
import time
from pathlib import Path

import httpx
import uvicorn

from ingest.receiver import ReceiverConfig, create_app, http_protocol
from tests.ingest.receiver_server import (
    SECRET,
    TOKEN,
    HeldFsync,
    ThreadedServer,
    serve_process,
    sign,
)
from tests.ingest.receiver_server import text_delivery as delivery


def test_a_delivery_given_up_by_a_shutdown_that_timed_out_is_not_written_for_its_retry(
    tmp_path: Path,
) -> None:
    """uvicorn cancels the requests still running when its graceful shutdown times out (a disk
    stuck in fsync) and answers them 500; Meta sends them again. One whose line was still
    waiting for the disk is not written at close as well: it would be there twice."""
    held = HeldFsync()
    config = ReceiverConfig(tmp_path / "logs", None, (SECRET,), TOKEN, registry_refresh=0.0)
    app = create_app(config, fsync=held)
    server = ThreadedServer(uvicorn.Config(  # on h11 with serve's own protocol class
        app, log_config=None, access_log=False, http=http_protocol(app), ws="none",
        lifespan="on", loop="asyncio", timeout_graceful_shutdown=0.2,
    ))  # fmt: skip
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    assert server.ready.wait(10)
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    first, second = delivery("one", mid="m_one"), delivery("two", mid="m_two")
    answers: dict[bytes, int] = {}

    def post(raw: bytes) -> None:
        r = httpx.post(url + "/webhook", content=raw,
                       headers={"X-Hub-Signature-256": sign(raw)}, timeout=30)  # fmt: skip
        answers[raw] = r.status_code

    posts = [threading.Thread(target=post, args=(raw,)) for raw in (first, second)]
    try:
        posts[0].start()
        assert held.in_fsync.wait(10)  # the first delivery's batch is stuck in fsync
        posts[1].start()
        deadline = time.monotonic() + 10
        while httpx.get(url + "/healthz").json()["pending_writes"] < 1:  # the second waits
            assert time.monotonic() < deadline
            time.sleep(0.01)
        server.should_exit = True  # SIGTERM
        for p in posts:  # given up: answered 500, for Meta to retry
            p.join(10)
        assert answers == {first: 500, second: 500}
    finally:
        held.release.set()
        server.should_exit = True
        thread.join(10)
        sock.close()
    logged = [json.loads(line)["body"] for log in (tmp_path / "logs").glob("webhooks-*")
              for line in log.read_bytes().splitlines()]  # fmt: skip
    # The first was being written when it was given up: that cannot be taken back. The second
    # is not written: its retry is its only copy.
    assert logged == [json.loads(first)]


def test_sigterm_while_a_delivery_arrives_answers_it_200_once_it_is_on_disk(
    tmp_path: Path,
) -> None:
    env = {**os.environ, "REFSCOPE_APP_SECRET": SECRET, "REFSCOPE_VERIFY_TOKEN": TOKEN}
    output = tmp_path / "serve.out"
    raw = delivery("in flight", mid="m_in_flight")
    with serve_process(tmp_path, env, output) as served:
        host, port = served.url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=20) as s:
            s.sendall(b"POST /webhook HTTP/1.1\r\nHost: x\r\nContent-Type: application/json; "
                      b"charset=utf-8\r\nX-Hub-Signature-256: %s\r\nContent-Length: %d\r\n\r\n%s"
                      % (sign(raw).encode(), len(raw), raw[:20]))  # fmt: skip
            served.proc.send_signal(signal.SIGTERM)  # a service manager's stop
            deadline = time.monotonic() + 20
            while b"Shutting down" not in output.read_bytes():
                assert time.monotonic() < deadline, "serve did not begin to stop"
                time.sleep(0.05)
            s.sendall(raw[20:])  # the rest of the body, once the stop is under way
            answer = b""
            while chunk := s.recv(4096):  # closed once answered: the server is stopping
                answer += chunk
    assert answer.startswith(b"HTTP/1.1 200 ") and answer.endswith(b"EVENT_RECEIVED")
    (log,) = (tmp_path / "logs").glob("webhooks-*.ndjson")
    (line,) = log.read_bytes().splitlines()
    assert json.loads(line)["body"] == json.loads(raw)
    assert served.proc.returncode in (0, -signal.SIGTERM)
