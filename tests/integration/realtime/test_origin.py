"""The websocket Origin check against a real daphne: scheme, host and port must all match."""

from __future__ import annotations

import json

import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect
from websockets.typing import Origin

from realtime.asgi_types import Receive, Scope, Send
from realtime.auth import ExactOriginValidator
from tests.integration.realtime.conftest import Gateway, Trader


def _subscribed(gateway: Gateway, trader: Trader, origin: str | None) -> bool:
    sent = None if origin is None else Origin(origin)  # None: no Origin header
    with connect(gateway.url(trader.token), origin=sent, open_timeout=10) as ws:
        ws.send(json.dumps({"action": "subscribe", "orders": "*"}))
        return json.loads(ws.recv(timeout=10)) == {"type": "subscribed"}


def test_the_pages_own_origin_is_allowed(gateway: Gateway, trader: Trader) -> None:
    assert _subscribed(gateway, trader, f"http://127.0.0.1:{gateway.port}")


def test_no_origin_is_a_non_browser_client_and_allowed(gateway: Gateway, trader: Trader) -> None:
    assert _subscribed(gateway, trader, None)


@pytest.mark.parametrize(
    "origin",
    [
        "http://127.0.0.1:9999",  # another port on the same host (the page)
        "https://127.0.0.1:{port}",  # another scheme
        "http://localhost:{port}",  # another host, though the same machine
        "http://elsewhere.example:{port}",
        "http://127.0.0.1",  # the default port is another port
        "null",  # a sandboxed frame or a file:// page
    ],
)
def test_any_other_origin_is_refused(gateway: Gateway, trader: Trader, origin: str) -> None:
    with pytest.raises(InvalidStatus) as refused:
        connect(gateway.url(trader.token), origin=Origin(origin.format(port=gateway.port)))
    assert refused.value.response.status_code == 403


async def _not_called(scope: Scope, receive: Receive, send: Send) -> None:
    raise AssertionError("allowed() alone is under test")


def _scope(origin: str, host: str = "127.0.0.1:8000", scheme: str = "ws") -> dict[str, object]:
    headers = [(b"host", host.encode()), (b"origin", origin.encode())]
    return {"type": "websocket", "scheme": scheme, "headers": headers}


def test_a_configured_public_origin_is_allowed_exactly(settings) -> None:
    settings.WS_ALLOWED_ORIGINS = ["https://backoffice.example.com"]
    check = ExactOriginValidator(_not_called).allowed
    behind_proxy = "backoffice.example.com"  # TLS ends at the proxy: daphne sees ws://
    assert check(_scope("https://backoffice.example.com", behind_proxy))
    assert check(_scope("https://backoffice.example.com:443", behind_proxy))
    assert not check(_scope("https://backoffice.example.com:8443", behind_proxy))
    assert not check(_scope("http://backoffice.example.com", behind_proxy))
    assert check(_scope("https://127.0.0.1:8000", scheme="wss"))  # wss: the page is https
    assert not check(_scope("http://127.0.0.1:8000", scheme="wss"))
    assert not check(
        _scope("http://evil.example:8000", host="evil.example:8000")
    )  # not a host of ours
