"""An HTTP server on 127.0.0.1 for the tests' fake endpoints (Graph API, log hosts)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import ThreadingHTTPServer
from typing import Any


@contextmanager
def served(handler: Callable[..., Any]) -> Iterator[str]:
    """Serves `handler` (a request handler class, or a partial of one) on a free port of
    127.0.0.1 in a thread while open, yielding its base URL; shut down and closed after."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
