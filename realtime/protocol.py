"""The ws-gateway's protocol (DESIGN.md, "Public contract"), as pure functions.

Client -> server: `{"action": "subscribe", "orders": "*" | [order ids]}`.
Server -> client: `{"type": "subscribed"}`, `{"type": "order.delta", ...}`,
`{"type": "error", "detail": ...}`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

# What a client sees of a delta: the contract's fields (plus `instrument`), never `trader_id`.
DELTA_FIELDS = (
    "type",
    "order_id",
    "seq",
    "state",
    "instrument",
    "quantity",
    "filled_quantity",
    "remaining_quantity",
    "average_price",
    "attempts",
    "updated_at",
    "last_fill",
)
CLIENT_MESSAGE_MAX_CHARS = 64 * 1024
SUBSCRIBE_IDS_MAX = 1000
SUBSCRIBED = json.dumps({"type": "subscribed"})
USAGE = '{"action": "subscribe", "orders": "*" | [order ids]}'


class BadMessage(ValueError):
    """A client message the gateway cannot act on: the client is told, the connection lives."""


@dataclass(frozen=True)
class Subscription:
    all_orders: bool
    order_ids: frozenset[str]

    def wants(self, order_id: str) -> bool:
        return self.all_orders or order_id in self.order_ids


@dataclass(frozen=True)
class Delta:
    """One order delta read from Kafka: routing data, and the text every client is sent."""

    trader_id: str
    order_id: str
    seq: int
    text: str


def error(detail: str) -> str:
    return json.dumps({"type": "error", "detail": detail})


def parse_client_message(text: str | None) -> Subscription:
    if text is None:
        raise BadMessage(f"send text frames: {USAGE}")
    if len(text) > CLIENT_MESSAGE_MAX_CHARS:
        raise BadMessage(f"message over {CLIENT_MESSAGE_MAX_CHARS} characters")
    try:
        message = json.loads(text)
    except ValueError:
        raise BadMessage(f"not JSON: expected {USAGE}") from None
    if not isinstance(message, dict) or message.get("action") != "subscribe":
        raise BadMessage(f"unknown message: expected {USAGE}")
    orders = message.get("orders")
    if orders == "*":
        return Subscription(True, frozenset())
    if (
        isinstance(orders, list)
        and len(orders) <= SUBSCRIBE_IDS_MAX
        and all(isinstance(o, str) for o in orders)
    ):
        return Subscription(False, frozenset(orders))
    raise BadMessage(f'"orders" must be "*" or a list of at most {SUBSCRIBE_IDS_MAX} order ids')


def read_delta(envelope: bytes | None) -> Delta | None:
    """The delta in one `evt.trading.order.v1` envelope; None when it is not one we can route
    (a tombstone, with no value, is not)."""
    if envelope is None:
        return None
    try:
        payload = json.loads(envelope)["payload"]
    except (ValueError, KeyError, TypeError):
        return None
    if not isinstance(payload, dict) or payload.get("type") != "order.delta":
        return None
    trader_id, order_id, seq = payload.get("trader_id"), payload.get("order_id"), payload.get("seq")
    if not (isinstance(trader_id, str) and isinstance(order_id, str)):
        return None
    if not isinstance(seq, int) or isinstance(seq, bool):
        return None
    return Delta(trader_id, order_id, seq, json.dumps(client_delta(payload)))


def client_delta(payload: dict[str, Any]) -> dict[str, Any]:
    """The delta as clients see it: the contract's fields, without routing data."""
    return {k: payload[k] for k in DELTA_FIELDS if k in payload}
