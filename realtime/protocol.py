"""The ws-gateway's protocol (DESIGN.md, "Public contract"), as pure functions.

Client -> server: `{"action": "subscribe", "orders": "*" | [order ids]}`.
Server -> client: `{"type": "subscribed"}`, `{"type": "order.delta", ...}`,
`{"type": "error", "detail": ...}`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import msgspec

from contracts import registry
from contracts.envelope import Refused
from contracts.trading import ORDER, OrderDeltaV1

CLIENT_MESSAGE_MAX_CHARS = 64 * 1024
SUBSCRIBE_IDS_MAX = 1000
SUBSCRIBED = json.dumps({"type": "subscribed"})
USAGE = '{"action": "subscribe", "orders": "*" | [order ids]}'
_encoder = msgspec.json.Encoder()


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


def decode_delta(envelope: bytes) -> Delta:
    """The delta in one `evt.trading.order.v1` envelope, decoded (and validated) by its
    contract; Refused, with the reason, when it is not one."""
    payload: OrderDeltaV1 = registry.decode(ORDER, envelope).payload
    return Delta(payload.trader_id, payload.order_id, payload.seq, client_delta(payload))


def read_delta(envelope: bytes | None) -> Delta | None:
    """`decode_delta`, or None when the envelope is not a delta we can route (a tombstone,
    with no value, is not)."""
    if envelope is None:
        return None
    try:
        return decode_delta(envelope)
    except Refused:
        return None


def client_delta(delta: OrderDeltaV1) -> str:
    """The delta as clients see it: the contract's fields (plus `instrument`), never the
    `trader_id` it is routed by."""
    fields = msgspec.to_builtins(delta)
    del fields["trader_id"]
    return _encoder.encode(fields).decode()
