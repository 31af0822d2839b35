"""Whether a websocket's socket keeps up: the one signal ASGI does not carry.

daphne's ASGI `send` never waits: each frame goes into Twisted's write buffer, which grows
without limit while a client does not read. The Twisted transport does tell when its buffer is
over its high-water mark (64 kB): it pauses its streaming producer (the HTTP channel daphne
upgraded to a websocket) and sets `producerPaused` until the buffer has drained (Twisted's
producer/consumer contract). `with_backpressure` wraps the ASGI app, finds that transport
behind daphne's `send` and puts a `Backpressure` in the scope; the consumer waits on it before
each frame, so what a client has not taken stays in the consumer's bounded queue, where it is
counted. uvicorn's websocket protocol (the server `make run` uses) says the same through
asyncio's flow control: `pause_writing` clears its `writable` event, which its `send` awaits;
`Backpressure` reads that event. On another server (or in-process tests) it reports
"writable" always.

It also bounds the socket's kernel send buffer (SO_SNDBUF; Linux otherwise grows it to
`tcp_wmem` max, 4 MB, thousands of deltas): what a client has not taken is then at most that,
Twisted's 64 kB and the consumer's queue, and a close frame is never far behind the backlog.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import socket
import time
from typing import Protocol

from realtime.asgi_types import ASGIApp, Receive, Scope, Send

log = logging.getLogger(__name__)
SCOPE_KEY = "realtime.backpressure"
POLL_S = 0.02
SEND_BUFFER_BYTES = 64 * 1024  # the kernel doubles it: 128 kB per websocket at most


class _TwistedTransport(Protocol):
    """What daphne's Twisted transport tells (read by duck typing: Twisted is not imported)."""

    producerPaused: bool
    disconnected: bool

    def getHandle(self) -> socket.socket: ...


class _UvicornProtocol(Protocol):
    """What uvicorn's websocket protocol tells through asyncio's flow control."""

    writable: asyncio.Event
    disconnected: bool


class Backpressure:
    def __init__(
        self, transport: _TwistedTransport | None = None, protocol: _UvicornProtocol | None = None
    ) -> None:
        self._transport = transport  # daphne's Twisted transport
        self._protocol = protocol  # uvicorn's websocket protocol

    @property
    def supported(self) -> bool:
        return self._transport is not None or self._protocol is not None

    def paused(self) -> bool:
        protocol = self._protocol
        if protocol is not None:
            return not protocol.writable.is_set() and not protocol.disconnected
        transport = self._transport
        return transport is not None and transport.producerPaused and not transport.disconnected

    async def writable(self, timeout_s: float | None = None) -> bool:
        """Wait until the socket takes more (True), or `timeout_s` passed (False)."""
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        while self.paused():
            if deadline is not None and time.monotonic() >= deadline:
                return False
            await asyncio.sleep(POLL_S)
        return True


def _bound_send_buffer(sock: socket.socket | None) -> None:
    if sock is None:
        log.info("ws-gateway: send buffer left as it is: the transport has no socket")
        return
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SEND_BUFFER_BYTES)
    except (AttributeError, OSError) as problem:
        log.info("ws-gateway: send buffer left as it is: %s", problem)


def _uvicorn_protocol(send: Send) -> _UvicornProtocol | None:
    """uvicorn passes its protocol's bound `send`; the protocol holds `writable` (asyncio
    flow control) and `disconnected`. Anything else: None."""
    protocol: _UvicornProtocol | None = getattr(send, "__self__", None)
    if not isinstance(getattr(protocol, "writable", None), asyncio.Event):
        return None
    if not isinstance(getattr(protocol, "disconnected", None), bool):
        return None
    transport = getattr(protocol, "transport", None)
    if transport is not None:
        _bound_send_buffer(transport.get_extra_info("socket"))
    return protocol


def _twisted_transport(send: Send) -> _TwistedTransport | None:
    """daphne's `send` is `partial(server.handle_reply, protocol)`; the protocol holds the
    transport. Anything else (another server, a test communicator): None."""
    if not isinstance(send, functools.partial) or not send.args:
        return None
    transport: _TwistedTransport | None = getattr(send.args[0], "transport", None)
    if transport is None or not isinstance(getattr(transport, "producerPaused", None), bool):
        return None  # e.g. TLS wraps the TCP transport: no signal to read
    try:
        _bound_send_buffer(transport.getHandle())
    except AttributeError as problem:
        log.info("ws-gateway: send buffer left as it is: %s", problem)
    return transport


_warned = False


def with_backpressure(app: ASGIApp) -> ASGIApp:
    """The outermost websocket middleware: it sees the server's own `send`."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        global _warned
        backpressure = Backpressure(_twisted_transport(send), _uvicorn_protocol(send))
        if not backpressure.supported and not _warned:
            _warned = True
            log.info(
                "ws-gateway: no Twisted or uvicorn transport behind send: a slow client is seen "
                "only if the server's send waits for it"
            )
        await app({**scope, SCOPE_KEY: backpressure}, receive, send)

    return middleware
