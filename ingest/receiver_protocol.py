"""uvicorn's HTTP/1.1 protocol with a deadline for a request's headers.

uvicorn closes an idle kept-alive connection after a few seconds, but waits for ever on one
whose request has begun and not ended its headers (slowloris: a header line every few seconds)
or on a new connection that sends nothing: each held one file descriptor and a buffer, and
enough of them stopped the receiver taking Meta's deliveries. Here a request's headers must all
arrive within the deadline, counted from the connection's start (or, on a kept connection, from
the next request's first byte); past it the connection is closed. Once they have come, the body has
its own deadline (the receiver's, which answers 408).

A request h11 cannot parse (a Content-Length not a number, negative or given twice with two
values, a Transfer-Encoding other than chunked) uvicorn answers 400 itself: the app never sees
it. Its connection here keeps the bytes of each request's head until it is parsed, so that one
refused so is counted, when its request line says it was a delivery (POST /webhook). It refuses
so a request with both Content-Length and Transfer-Encoding too, which h11 reads as chunked:
a body that was not then waited for a chunk's size line until the body's deadline, and a proxy
in front that framed it by its Content-Length would read another request in it than the
receiver (request smuggling; RFC 9112 §6.1 lets a server refuse it, and close the connection).

A body h11 refuses part-way (a chunk-size line not hex, a chunk without its CRLF) uvicorn answers
400 too, once the app has begun reading it: the app, told then only that the client is gone,
finds it marked in its request's state (`body_refused`) and counts it as bad HTTP, not a hang-up.
When the app has answered already (a delivery refused before its body came), no 400 can follow
its answer: the connection is closed, where uvicorn's 400 failed with a traceback in the log.

An answer that closes its connection (`Connection: close`) while the client still sends the
body (a delivery refused before its body was read) lingers: the connection is half-closed, and
what the client sends is read and dropped, for up to LINGER_SECONDS and LINGER_BYTES, until it
closes its end. Closed at once, the bytes still coming made the system reset the connection,
and a client sending its body before it reads the answer could lose that answer; kept open,
uvicorn read the whole body, however long, to take the next request.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from typing import Any

import h11
from starlette.types import Scope
from uvicorn.protocols.http.h11_impl import H11Protocol

# The request line of a delivery: POST to /webhook (trailing slashes, a query or not).
_DELIVERY_LINE = re.compile(rb"[\r\n]*POST /webhook/*[ ?]")
# In a request's ASGI state (shared by the copies of its scope) once h11 refused its body.
_BODY_REFUSED = "refscope_body_refused"
# How long, and how much more of its body, a client still sending one is read once answered
# with `Connection: close` (a refused body's cap; uvicorn's keep-alive timeout is 5 s).
LINGER_SECONDS = 2.0
LINGER_BYTES = 1024 * 1024


def body_refused(scope: Scope) -> bool:
    """Whether h11 refused this request's body part-way (uvicorn answered 400 and closed)."""
    return bool(scope.get("state", {}).get(_BODY_REFUSED))


class CountingConnection(h11.Connection):
    """h11's server side, telling `refused` of a delivery whose head it refuses to parse, and
    refusing a head with both Content-Length and Transfer-Encoding (uvicorn answers 400)."""

    body_refused = False  # the last error was in the body of a request it had parsed

    def __init__(self, max_head: int | None, refused: Callable[[], None] | None) -> None:
        super().__init__(h11.SERVER, *(() if max_head is None else (max_head,)))  # h11's own
        self.refused = refused

    def next_event(self) -> Any:
        # Awaiting a request's head: what it is parsed from (the head, and perhaps a body).
        head = self.trailing_data[0] if self.their_state is h11.IDLE else b""
        in_body = self.their_state is h11.SEND_BODY
        try:
            event = super().next_event()
            if isinstance(event, h11.Request) and _framed_twice(event):
                raise h11.RemoteProtocolError("both Content-Length and Transfer-Encoding", 400)
        except h11.RemoteProtocolError:
            self.body_refused = in_body
            if self.refused is not None and _DELIVERY_LINE.match(head):
                self.refused()
            raise
        return event


def _framed_twice(request: h11.Request) -> bool:
    names = {name for name, _ in request.headers}  # lower case in h11's events
    return {b"content-length", b"transfer-encoding"} <= names


class HeaderDeadlineProtocol(H11Protocol):
    """H11Protocol closing a connection whose request headers are not in by `header_timeout`."""

    header_timeout = 30.0
    refused: Callable[[], None] | None = None  # a delivery uvicorn answered 400, the app unasked

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._header_deadline: asyncio.TimerHandle | None = None
        self._linger_left: int | None = None  # bytes still read once answered, when lingering
        self._linger_end: asyncio.TimerHandle | None = None
        self.conn = self.counting = CountingConnection(
            self.config.h11_max_incomplete_event_size, self.refused
        )

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        if self._linger_end is not None:
            self._linger_end.cancel()
        super().connection_lost(exc)

    def handle_events(self) -> None:
        super().handle_events()
        if self.cycle is not None and not isinstance(self.cycle.transport, _LingeringClose):
            self.cycle.transport = _LingeringClose(self)  # type: ignore[assignment]

    def linger(self) -> None:
        """Close once answered: at once, unless the client still sends the request's body."""
        if self.conn.their_state is not h11.SEND_BODY or self.transport.is_closing():
            self.transport.close()
            return
        self._linger_left = LINGER_BYTES
        self.transport.write_eof()  # the answer is all: the client may close its end
        self.flow.resume_reading()  # paused while the app did not read the body
        self._linger_end = self.loop.call_later(LINGER_SECONDS, self.transport.close)

    def data_received(self, data: bytes) -> None:
        if self._linger_left is not None:  # answered and closing: read and dropped
            self._linger_left -= len(data)
            if self._linger_left < 0:
                self.transport.close()
            return
        super().data_received(data)
        # Still waiting for a request's headers (the first, or the next on a kept connection):
        # the deadline runs from its first byte; once they are in, the body's own applies.
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self._arm()
        else:
            self._disarm()

    def send_400_response(self, msg: str) -> None:
        # uvicorn's answer to what h11 refused: a body's part told to the app reading it.
        if self.counting.body_refused and self.cycle is not None:
            self.cycle.scope["state"][_BODY_REFUSED] = True
        if self.conn.our_state in (h11.IDLE, h11.SEND_RESPONSE):
            super().send_400_response(msg)
        else:  # the app has answered (or begun to): a 400 cannot follow, the rest is not read
            self.transport.close()

    def _arm(self) -> None:
        if self._header_deadline is None:
            self._header_deadline = self.loop.call_later(self.header_timeout, self._expired)

    def _disarm(self) -> None:
        if self._header_deadline is not None:
            self._header_deadline.cancel()
            self._header_deadline = None

    def _expired(self) -> None:
        self._header_deadline = None
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self.transport.close()


class _LingeringClose:
    """The connection's transport as a request's cycle has it: its close lingers."""

    def __init__(self, protocol: HeaderDeadlineProtocol) -> None:
        self._protocol = protocol

    def __getattr__(self, name: str) -> Any:
        return getattr(self._protocol.transport, name)

    def close(self) -> None:
        self._protocol.linger()


def header_deadline_protocol(
    seconds: float, refused: Callable[[], None] | None = None
) -> type[HeaderDeadlineProtocol]:
    """The protocol class for uvicorn's `http=`, with its deadline in seconds; refused: called
    (on the event loop) for each delivery h11 could not parse, which uvicorn answers 400."""
    attrs = {"header_timeout": seconds, "refused": staticmethod(refused) if refused else None}
    return type("HeaderDeadlineProtocol", (HeaderDeadlineProtocol,), attrs)
