"""ASGI `http` -> Django's WSGI handler in a fixed pool of threads: one hop there, one back.

a2wsgi (the kept library) hands every response message from the worker thread back to the
event loop and waits for it there (start, each chunk, the end: three or more cross-thread
round trips, a Future and a Condition each, per request), which cost more CPU than the API's
view. Here a request whose body is known and small is read whole on the event loop, the WSGI
app runs once in a thread and returns the whole response, and the loop sends it: one hop each
way. A streaming response (a file, `StreamingHttpResponse`) is sent chunk by chunk from its
thread, as a2wsgi does; a request with a large or unknown-length body goes to a2wsgi itself,
which streams it to the view as the view reads.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import io
import itertools
from concurrent.futures import ThreadPoolExecutor
from typing import Any, cast

from a2wsgi import WSGIMiddleware
from a2wsgi.wsgi import build_environ
from a2wsgi.wsgi_typing import Environ, WSGIApp

from realtime.asgi_types import Receive, Scope, Send

# Bodies up to this size are read before the view runs; the API refuses over 64 kB anyway.
WHOLE_BODY_MAX = 256 * 1024

_Response = tuple[int, list[tuple[bytes, bytes]], list[bytes]]


class WSGIBridge:
    def __init__(self, app: WSGIApp, workers: int) -> None:
        self.app = app
        self.executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="WSGI")
        self.streaming = WSGIMiddleware(app, workers=workers)  # large bodies
        self.streaming.executor = self.executor  # one pool of threads for both

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _small_body(scope):
            await self.streaming(cast("Any", scope), cast("Any", receive), cast("Any", send))
            return
        body = await _whole_body(receive)
        environ = build_environ(cast("Any", scope), cast("Any", io.BytesIO(body)))
        loop = asyncio.get_running_loop()
        call = functools.partial(contextvars.copy_context().run, self._call, environ, loop, send)
        response = await loop.run_in_executor(self.executor, call)
        if response is None:
            return  # streamed from its thread
        status, headers, chunks = response
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": b"".join(chunks)})

    def _call(
        self, environ: Environ, loop: asyncio.AbstractEventLoop, send: Send
    ) -> _Response | None:
        """In a worker thread: the whole response, or None once a streaming one was sent."""
        started: list[Any] = []
        chunks: list[bytes] = []

        def start_response(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Any:
            if exc_info is not None and started:
                raise exc_info[1].with_traceback(exc_info[2])
            started[:] = [status, headers]
            return chunks.append  # WSGI's write(): kept in order with the body

        iterable = self.app(environ, start_response)
        try:
            if getattr(iterable, "streaming", False):
                self._stream(iterable, started, chunks, loop, send)
                return None
            chunks.extend(iterable)
        finally:
            getattr(iterable, "close", lambda: None)()  # request_finished: the thread's DB
        return (_status(started[0]), _headers(started[1]), chunks)

    def _stream(
        self,
        iterable: Any,
        started: list[Any],
        written: list[bytes],
        loop: asyncio.AbstractEventLoop,
        send: Send,
    ) -> None:
        async def sent(message: dict[str, Any]) -> None:
            await send(message)

        def out(message: dict[str, Any]) -> None:
            asyncio.run_coroutine_threadsafe(sent(message), loop).result()

        status, headers = _status(started[0]), _headers(started[1])
        out({"type": "http.response.start", "status": status, "headers": headers})
        for chunk in itertools.chain(written, iterable):
            out({"type": "http.response.body", "body": chunk, "more_body": True})
        out({"type": "http.response.body", "body": b""})


def _small_body(scope: Scope) -> bool:
    """The request says its body's length, and it is at most WHOLE_BODY_MAX."""
    length = None
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            length = value
        elif name == b"transfer-encoding":
            return False
    if length is None:
        return scope.get("method") in ("GET", "HEAD", "OPTIONS", "DELETE")
    return length.isdigit() and int(length) <= WHOLE_BODY_MAX


async def _whole_body(receive: Receive) -> bytes:
    parts = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break  # the client went away: the view runs on what came
        parts.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(parts)


def _status(line: str) -> int:
    return int(line.split(" ", 1)[0])


def _headers(headers: list[tuple[str, str]]) -> list[tuple[bytes, bytes]]:
    return [(n.strip().encode("latin1").lower(), v.strip().encode("latin1")) for n, v in headers]
