"""wiring/wsgi_bridge.py: a WSGI app behind ASGI, whole responses, streamed ones, large bodies."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

from wiring.wsgi_bridge import WHOLE_BODY_MAX, WSGIBridge


class Streamed:
    streaming = True

    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks = chunks
        self.closed = False

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.chunks)

    def close(self) -> None:
        self.closed = True


class App:
    """Echoes the request: its method, path, body; streams when asked to."""

    def __init__(self) -> None:
        self.closed = 0
        self.streamed: Streamed | None = None

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        body = environ["wsgi.input"].read()
        start_response(
            "201 Created", [("Content-Type", "text/plain"), ("X-Path", environ["PATH_INFO"])]
        )
        if environ["PATH_INFO"] == "/stream":
            self.streamed = Streamed([b"a", b"b"])
            return self.streamed
        app = self

        class Body(list[bytes]):
            def close(self) -> None:
                app.closed += 1

        return Body([environ["REQUEST_METHOD"].encode(), b" ", body])


def _serve(
    path: str, body: bytes = b"", headers: list[tuple[bytes, bytes]] | None = None
) -> tuple[App, list[dict[str, Any]]]:
    app = App()
    bridge = WSGIBridge(app, workers=2)  # type: ignore[arg-type]
    sent: list[dict[str, Any]] = []
    incoming = [{"type": "http.request", "body": body[:5], "more_body": len(body) > 5}]
    if len(body) > 5:
        incoming.append({"type": "http.request", "body": body[5:], "more_body": False})
    scope = {
        "type": "http",
        "http_version": "1.1",
        "method": "POST" if body else "GET",
        "path": path,
        "query_string": b"",
        "headers": headers
        if headers is not None
        else [(b"content-length", str(len(body)).encode())],
        "server": ("127.0.0.1", 8000),
        "client": ("127.0.0.1", 5000),
    }

    async def receive() -> dict[str, Any]:
        return incoming.pop(0) if incoming else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(bridge(scope, receive, send))
    bridge.executor.shutdown()
    return app, sent


def test_a_response_is_sent_whole_and_the_iterable_closed():
    app, sent = _serve("/orders", b"0123456789")
    assert sent[0]["status"] == 201
    assert (b"x-path", b"/orders") in sent[0]["headers"]
    assert b"".join(m.get("body", b"") for m in sent[1:]) == b"POST 0123456789"
    assert app.closed == 1


def test_a_streaming_response_is_sent_chunk_by_chunk():
    app, sent = _serve("/stream")
    assert [m.get("body") for m in sent[1:]] == [b"a", b"b", b""]
    assert app.streamed is not None and app.streamed.closed


def test_a_large_or_unsized_body_goes_to_a2wsgi_and_reaches_the_app():
    big = b"x" * (WHOLE_BODY_MAX + 1)
    _, sent = _serve("/big", big)
    assert b"".join(m.get("body", b"") for m in sent[1:]) == b"POST " + big
    _, sent = _serve("/chunked", b"abcdefgh", headers=[(b"transfer-encoding", b"chunked")])
    assert b"".join(m.get("body", b"") for m in sent[1:]) == b"POST abcdefgh"
