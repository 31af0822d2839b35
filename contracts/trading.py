"""The trading family: what trading-core publishes about orders and fills (Kafka, key = order id).

- `evt.trading.order.v1` (`OrderDeltaV1`): one message per change a snapshot would show, `seq`
  +1 each; the ws-gateway pushes it to the order's trader without `trader_id`, and the back
  office projects it.
- `evt.trading.fill.v1` (`FillV1`): one per fill the platform booked (`fill_id` is ours).
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from contracts.values import Amount, Id, Ratio, Timestamp, check_times

ORDER = "evt.trading.order.v1"
FILL = "evt.trading.fill.v1"

Side = Literal["buy", "sell"]
OrderState = Literal[
    "new",
    "working",
    "partially_filled",
    "filled",
    "cancel_pending",
    "canceled",
    "rejected",
    "expired",
]
AttemptState = Literal["pending", "working", "filled", "expired", "canceled", "rejected"]


class AttemptV1(msgspec.Struct, frozen=True):
    """An attempt as the order's snapshot and delta show it."""

    attempt_id: Id
    venue: Id
    quantity: Amount
    filled_quantity: Amount
    state: AttemptState


class LastFillV1(msgspec.Struct, frozen=True):
    """The fill a delta was made by."""

    fill_id: Id
    attempt_id: Id
    venue: Id
    quantity: Amount
    price: Amount


class OrderDeltaV1(msgspec.Struct, frozen=True, tag_field="type", tag="order.delta"):
    """One change of an order, as the ws-gateway sends it ({"type": "order.delta", ...}).

    `trader_id` routes it (never sent to a client); `last_fill` is there only when a fill made
    the change.
    """

    order_id: Id
    trader_id: Id
    seq: Annotated[int, Meta(ge=1)]  # 1 at acceptance, +1 per change
    state: OrderState
    instrument: Id
    quantity: Amount
    filled_quantity: Amount
    remaining_quantity: Amount
    average_price: Ratio | None
    attempts: list[AttemptV1]
    updated_at: Timestamp
    last_fill: LastFillV1 | msgspec.UnsetType = msgspec.UNSET

    def __post_init__(self) -> None:
        check_times(updated_at=self.updated_at)


class FillV1(msgspec.Struct, frozen=True):
    """One fill trading-core booked (the REST fill plus the trader it belongs to)."""

    fill_id: Id
    order_id: Id
    attempt_id: Id
    venue: Id
    venue_fill_id: str
    instrument: Id
    side: Side
    quantity: Amount
    price: Amount
    fee: Amount
    fee_asset: str
    executed_at: Timestamp
    trader_id: Id

    def __post_init__(self) -> None:
        check_times(executed_at=self.executed_at)
