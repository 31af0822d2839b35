"""The contract's shapes (DESIGN.md "Public contract"): order snapshot, order delta, fill.

The snapshot and the REST fill are the edge-api's; the delta and the fill event are built here
as their contract structs (contracts/trading.py), from the same values.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import msgspec

from contracts.trading import AttemptV1, FillV1, LastFillV1, OrderDeltaV1
from contracts.values import time_text
from kernel.money import display, normalized
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


def fill_event(fill: Fill, *, instrument: str, side: str, trader_id: str) -> FillV1:
    """The fill as evt.trading.fill.v1 carries it: the REST fill and its trader."""
    return FillV1(**fill_view(fill, instrument=instrument, side=side), trader_id=trader_id)


def order_delta(order: Order, last_fill: Fill | None = None) -> OrderDeltaV1:
    """evt.trading.order.v1: what the ws-gateway pushes as {"type": "order.delta", ...}, plus
    the trader to route to."""
    return OrderDeltaV1(
        order_id=order.order_id,
        trader_id=order.trader_id,
        seq=order.seq,
        state=order.state.value,  # the same names (test_contracts)
        instrument=order.instrument,
        quantity=_amount(order.quantity),
        filled_quantity=_amount(order.filled_quantity),
        remaining_quantity=_amount(order.remaining_quantity),
        average_price=display(order.average_price),
        attempts=[
            AttemptV1(
                attempt_id=a.attempt_id,
                venue=a.venue,
                quantity=_amount(a.quantity),
                filled_quantity=_amount(a.filled_quantity),
                state=a.state.value,
            )
            for a in order.attempts
        ],
        updated_at=time_text(order.updated_at),
        last_fill=msgspec.UNSET if last_fill is None else _last_fill(last_fill),
    )


def _last_fill(fill: Fill) -> LastFillV1:
    return LastFillV1(
        fill_id=fill.fill_id,
        attempt_id=fill.attempt_id,
        venue=fill.venue,
        quantity=_amount(fill.quantity),
        price=_amount(fill.price),
    )


def _amount(value: Decimal) -> str:
    return format(normalized(value), "f")
