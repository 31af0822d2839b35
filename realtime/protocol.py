"""The ws-gateway's protocol (DESIGN.md, public contract), as pure functions."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

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
    "last_fill",
)


class BadMessage(ValueError):
    """A client message the gateway cannot act on; the client is told, the connection lives."""


@dataclass(frozen=True)
class Subscription:
    all_orders: bool
    order_ids: frozenset[str]

    def wants(self, order_id: str) -> bool:
        return self.all_orders or order_id in self.order_ids


def parse_client_message(text: str) -> Subscription:
    try:
        message = json.loads(text)
    except ValueError:
        raise BadMessage("not JSON") from None
    if not isinstance(message, dict) or message.get("action") != "subscribe":
        raise BadMessage('expected {"action": "subscribe", "orders": "*" | [order ids]}')
    orders = message.get("orders")
    if orders == "*":
        return Subscription(True, frozenset())
    if isinstance(orders, list) and all(isinstance(o, str) for o in orders) and len(orders) <= 1000:
        return Subscription(False, frozenset(orders))
    raise BadMessage('"orders" must be "*" or a list of at most 1000 order ids')


def client_delta(payload: dict[str, Any]) -> dict[str, Any]:
    """The delta as clients see it: the contract's fields, without routing data."""
    return {k: payload[k] for k in DELTA_FIELDS if k in payload}
