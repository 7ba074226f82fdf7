"""Fixtures of the ingest tests: receivers on real uvicorn servers on 127.0.0.1."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from ingest import links
from ingest.receiver import ReceiverConfig, create_app
from tests import factories as f
from tests.ingest.receiver_server import (
    SECRET,
    TOKEN,
    Receiver,
    StartReceiver,
    ThreadedServer,
    register,
)


@pytest.fixture
def start_receiver(tmp_path: Path) -> Iterator[StartReceiver]:
    """Start the app on a real uvicorn server on a free 127.0.0.1 port; stopped after the test."""
    running: list[tuple[ThreadedServer, threading.Thread, socket.socket, httpx.Client]] = []

    def start(config: ReceiverConfig | None = None, **kw: Any) -> Receiver:
        config = config or ReceiverConfig(
            tmp_path / "logs", None, (SECRET,), TOKEN, registry_refresh=0.0
        )
        server = ThreadedServer(uvicorn.Config(
            create_app(config, **kw), log_config=None, access_log=False, http="h11", ws="none",
            lifespan="on", loop="asyncio",
        ))  # fmt: skip
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        assert server.ready.wait(10), "the receiver did not start"
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        receiver = Receiver(url, config.log_dir, httpx.Client(base_url=url))
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
