"""The contract's shapes (DESIGN.md "Public contract"): order snapshot, order delta, fill."""

from __future__ import annotations

from typing import Any

from trading.domain.money import display
from trading.domain.orders import Attempt, Fill, Order


def attempt_view(attempt: Attempt) -> dict[str, Any]:
    return {
        "attempt_id": attempt.attempt_id,
        "venue": attempt.venue,
        "quantity": display(attempt.quantity),
        "filled_quantity": display(attempt.filled_quantity),
        "state": attempt.state.value,
    }


def order_snapshot(order: Order) -> dict[str, Any]:
    return {
        "order_id": order.order_id,
        "client_order_id": order.client_order_id,
        "instrument": order.instrument,
        "side": order.side.value,
        "order_type": order.order_type.value,
        "time_in_force": order.time_in_force.value,
        "quantity": display(order.quantity),
        "limit_price": display(order.limit_price),
        "venue": order.venue,
        "strategy": order.strategy.value,
        "filled_quantity": display(order.filled_quantity),
        "remaining_quantity": display(order.remaining_quantity),
        "average_price": display(order.average_price),
        "fees": display(order.fees),
        "state": order.state.value,
        "reason": order.reason,
        "seq": order.seq,
        "attempts": [attempt_view(a) for a in order.attempts],
        "created_at": order.created_at.isoformat(),
        "updated_at": order.updated_at.isoformat(),
    }


def fill_view(fill: Fill, *, instrument: str, side: str) -> dict[str, Any]:
    return {
        "fill_id": fill.fill_id,
        "order_id": fill.order_id,
        "attempt_id": fill.attempt_id,
        "venue": fill.venue,
        "venue_fill_id": fill.venue_fill_id,
        "instrument": instrument,
        "side": side,
        "quantity": display(fill.quantity),
        "price": display(fill.price),
        "fee": display(fill.fee),
        "fee_asset": fill.fee_asset,
        "executed_at": fill.executed_at.isoformat(),
    }


def order_delta(order: Order, last_fill: Fill | None = None) -> dict[str, Any]:
    """What the ws-gateway pushes as {"type": "order.delta", ...}, plus the trader to route to."""
    delta: dict[str, Any] = {
        "type": "order.delta",
        "order_id": order.order_id,
        "trader_id": order.trader_id,
        "seq": order.seq,
        "state": order.state.value,
        "instrument": order.instrument,
        "quantity": display(order.quantity),
        "filled_quantity": display(order.filled_quantity),
        "remaining_quantity": display(order.remaining_quantity),
        "average_price": display(order.average_price),
        "attempts": [attempt_view(a) for a in order.attempts],
        "updated_at": order.updated_at.isoformat(),
    }
    if last_fill is not None:
        delta["last_fill"] = {
            "fill_id": last_fill.fill_id,
            "attempt_id": last_fill.attempt_id,
            "venue": last_fill.venue,
            "quantity": display(last_fill.quantity),
            "price": display(last_fill.price),
        }
    return delta
