"""A reverse proxy on 127.0.0.1 in front of the dashboard, as nginx or Caddy on the same machine:
HTTP and the WebSocket the app runs over, each request sent on with the headers a proxy adds
(X-Forwarded-For: the visitor it forwards)."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator, Sequence


def _pipe(source: socket.socket, target: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            target.sendall(data)
    except OSError:
        pass
    finally:
        with contextlib.suppress(OSError):
            target.shutdown(socket.SHUT_WR)


def _forward(
    client: socket.socket, upstream: int, added: Sequence[tuple[str, str]], host: bool
) -> None:
    with client:
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = client.recv(65536)
            if not chunk:
                return
            head += chunk
        head, _, rest = head.partition(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        upgrade = any(line.lower().startswith(b"upgrade:") for line in lines)
        if not upgrade:  # one request per connection, so each one carries the added headers
            lines = [line for line in lines if not line.lower().startswith(b"connection:")]
            lines.append(b"Connection: close")
        if host:  # nginx's default: the upstream's address, not the name the browser used
            lines = [line for line in lines if not line.lower().startswith(b"host:")]
            lines.append(f"Host: 127.0.0.1:{upstream}".encode())
        lines += [f"{name}: {value}".encode("latin-1") for name, value in added]
        with socket.create_connection(("127.0.0.1", upstream)) as server:
            server.sendall(b"\r\n".join(lines) + b"\r\n\r\n" + rest)
            back = threading.Thread(target=_pipe, args=(server, client), daemon=True)
            back.start()
            _pipe(client, server)
            back.join()


@contextlib.contextmanager
def reverse_proxy(
    port: int, upstream: int, added: Sequence[tuple[str, str]], *, host: bool = False
) -> Iterator[str]:
    """Forwards 127.0.0.1:port to 127.0.0.1:upstream, adding `added` to every request (and
    with `host`, naming the upstream in Host), while open; yields its base URL."""
    listener = socket.create_server(("127.0.0.1", port))
    listener.settimeout(0.2)  # how soon the accepting thread sees it should stop
    stopping = threading.Event()

    def serve() -> None:
        while not stopping.is_set():
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            forward = (client, upstream, added, host)
            threading.Thread(target=_forward, args=forward, daemon=True).start()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stopping.set()
        thread.join(timeout=5)
        listener.close()
