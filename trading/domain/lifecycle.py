"""The order's and the attempt's states and events, and the tables of their transitions.

(state, event) -> state: the only moves there are. `Order.apply` and `Attempt.apply`
(trading/domain/orders.py) move by them; anything a table does not list raises IllegalTransition.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TypeVar

from trading.domain.errors import IllegalTransition
from trading.domain.reports import ExecType


class OrderState(StrEnum):
    NEW = "new"
    WORKING = "working"
    PARTIALLY_FILLED = "partially_filled"
    FILLED = "filled"
    CANCEL_PENDING = "cancel_pending"
    CANCELED = "canceled"
    REJECTED = "rejected"
    EXPIRED = "expired"


class AttemptState(StrEnum):
    PENDING = "pending"
    WORKING = "working"
    FILLED = "filled"
    EXPIRED = "expired"
    CANCELED = "canceled"
    REJECTED = "rejected"


ENDED_ORDER_STATES = frozenset(
    {OrderState.FILLED, OrderState.CANCELED, OrderState.REJECTED, OrderState.EXPIRED}
)
ENDED_ATTEMPT_STATES = frozenset(
    {AttemptState.FILLED, AttemptState.EXPIRED, AttemptState.CANCELED, AttemptState.REJECTED}
)
OPEN = (OrderState.NEW, OrderState.WORKING, OrderState.PARTIALLY_FILLED)


class OrderEvent(StrEnum):
    """What can happen to an order; `ORDER_TABLE` says where each event takes it."""

    WORKING = "working"  # a venue acknowledged an attempt, or the order rests at the platform
    PARTIAL_FILL = "partial_fill"
    COMPLETE_FILL = "complete_fill"
    CANCEL_REQUESTED = "cancel_requested"
    CANCELED = "canceled"
    EXPIRED = "expired"
    REJECTED = "rejected"


class AttemptEvent(StrEnum):
    """What a venue can say about an attempt; `ATTEMPT_TABLE` says where it takes it."""

    ACKNOWLEDGED = "acknowledged"
    PARTIAL_FILL = "partial_fill"
    COMPLETE_FILL = "complete_fill"
    EXPIRED = "expired"
    CANCELED = "canceled"
    REJECTED = "rejected"


# (state, event) -> state: the only way an order's state changes. Anything not listed is a bug
# and raises IllegalTransition.
ORDER_TABLE: dict[tuple[OrderState, OrderEvent], OrderState] = {
    **{(s, OrderEvent.WORKING): OrderState.WORKING for s in (OrderState.NEW, OrderState.WORKING)},
    **{(s, OrderEvent.PARTIAL_FILL): OrderState.PARTIALLY_FILLED for s in OPEN},
    **{(s, OrderEvent.COMPLETE_FILL): OrderState.FILLED for s in OPEN},
    **{(s, OrderEvent.CANCEL_REQUESTED): OrderState.CANCEL_PENDING for s in OPEN},
    # A resting order with nothing at a venue cancels at once.
    **{(s, OrderEvent.CANCELED): OrderState.CANCELED for s in (*OPEN, OrderState.CANCEL_PENDING)},
    **{(s, OrderEvent.EXPIRED): OrderState.EXPIRED for s in OPEN},
    # Rejected only while nothing has filled (new or working never hold a fill) ...
    **{(s, OrderEvent.REJECTED): OrderState.REJECTED for s in (OrderState.NEW, OrderState.WORKING)},
    # ... with fills, a venue refusing the next attempt cannot undo them: it expires with them.
    (OrderState.PARTIALLY_FILLED, OrderEvent.REJECTED): OrderState.EXPIRED,
    # A fill can arrive after the cancel was sent: the venue filled before it saw the cancel.
    (OrderState.CANCEL_PENDING, OrderEvent.PARTIAL_FILL): OrderState.CANCEL_PENDING,
    (OrderState.CANCEL_PENDING, OrderEvent.COMPLETE_FILL): OrderState.FILLED,
    # A cancel racing the last attempt's expiry: the order ends canceled either way.
    (OrderState.CANCEL_PENDING, OrderEvent.EXPIRED): OrderState.CANCELED,
    (OrderState.CANCEL_PENDING, OrderEvent.REJECTED): OrderState.CANCELED,
}

_LIVE_ATTEMPT = (AttemptState.PENDING, AttemptState.WORKING)
ATTEMPT_TABLE: dict[tuple[AttemptState, AttemptEvent], AttemptState] = {
    (AttemptState.PENDING, AttemptEvent.ACKNOWLEDGED): AttemptState.WORKING,
    # A fill proves the venue accepted the attempt: its ack may come later, or never.
    **{(s, AttemptEvent.PARTIAL_FILL): AttemptState.WORKING for s in _LIVE_ATTEMPT},
    **{(s, AttemptEvent.COMPLETE_FILL): AttemptState.FILLED for s in _LIVE_ATTEMPT},
    **{(s, AttemptEvent.EXPIRED): AttemptState.EXPIRED for s in _LIVE_ATTEMPT},
    **{(s, AttemptEvent.CANCELED): AttemptState.CANCELED for s in _LIVE_ATTEMPT},
    **{(s, AttemptEvent.REJECTED): AttemptState.REJECTED for s in _LIVE_ATTEMPT},
}

# The venue's end of an attempt, as the attempt's event.
END_EVENT = {
    ExecType.EXPIRED: AttemptEvent.EXPIRED,
    ExecType.CANCELED: AttemptEvent.CANCELED,
    ExecType.REJECTED: AttemptEvent.REJECTED,
}


def order_transitions() -> dict[tuple[OrderState, OrderEvent], OrderState]:
    """A copy of the order's transition table (for documentation and tests)."""
    return dict(ORDER_TABLE)


def attempt_transitions() -> dict[tuple[AttemptState, AttemptEvent], AttemptState]:
    """A copy of the attempt's transition table (for documentation and tests)."""
    return dict(ATTEMPT_TABLE)


S = TypeVar("S", OrderState, AttemptState)
E = TypeVar("E", OrderEvent, AttemptEvent)


def next_state(table: dict[tuple[S, E], S], state: S, event: E, kind: type[E], entity: str) -> S:
    """The table's next state; a string event is taken as the event it names."""
    try:
        return table[(state, kind(event))]
    except (KeyError, ValueError):
        raise IllegalTransition(entity, state.value, str(event)) from None
