"""An HTTP server on 127.0.0.1 for the tests' fake endpoints (Graph API, log hosts)."""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import ThreadingHTTPServer
from typing import Any

import pytest

# A second host name for the tests' servers: reserved for tests (RFC 6761 §6.2), so no lookup
# answers it but the one this_machine_as installs.
OTHER_HOST = "logs.example.test"


class _TLSServer(ThreadingHTTPServer):
    """Speaks TLS with `context` on each connection; a client hanging up on the certificate is
    not an error worth printing."""

    context: ssl.SSLContext

    def get_request(self) -> Any:
        sock, addr = super().get_request()
        return self.context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False), addr

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass


@contextmanager
def served(handler: Callable[..., Any], tls: ssl.SSLContext | None = None) -> Iterator[str]:
    """Serves `handler` (a request handler class, or a partial of one) on a free port of
    127.0.0.1 in a thread while open, yielding its base URL (https with a `tls` context); shut
    down and closed after."""
    server: ThreadingHTTPServer
    if tls is None:
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    else:
        server = secure = _TLSServer(("127.0.0.1", 0), handler)
        secure.context = tls
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"{'https' if tls else 'http'}://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def free_port() -> int:
    """A port nothing listens on now, for a command whose default port (the dashboard's 8501,
    the receiver's 8000) another program may hold: `make demo`'s dashboard left running."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def this_machine_as(*names: str) -> Iterator[None]:
    """While open, each of `names` resolves to 127.0.0.1 only (every other name as before): a
    server above under another host name (another origin), never another address (`localhost`
    may resolve to ::1 first, where another server may listen)."""
    real = socket.getaddrinfo
    mapped = {n.lower() for n in names}

    def lookup(host: Any, port: Any, family: int = 0, type: int = 0, proto: int = 0,  # noqa: A002
               flags: int = 0) -> Any:  # fmt: skip
        name = host.decode() if isinstance(host, bytes) else str(host or "")
        if name.lower().rstrip(".") in mapped:
            return real("127.0.0.1", port, socket.AF_INET, type, proto, flags)
        return real(host, port, family, type, proto, flags)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(socket, "getaddrinfo", lookup)
        yield
