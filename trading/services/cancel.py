"""cancel_order: canceled at once when nothing is at a venue, else cancel_pending."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from infra.store.api import Transaction
from kernel.errors import TradingError
from trading.domain.lifecycle import OrderState
from trading.domain.orders import Order
from trading.services.working import cancel_command
from trading.uow import UnitOfWork, joined


class OrderNotCancelable(TradingError):
    """The order has already ended; the caller gets its snapshot (`order`) with a 409."""

    def __init__(self, message: str, *, order: Order | None = None) -> None:
        super().__init__(message)
        self.order = order


@dataclass(frozen=True)
class CancelOrder:
    """Ask for an order's end; `trader_id` (when given) must own it."""

    order_id: str
    trader_id: str | None = None


def cancel_order(
    tr: Transaction, order_id: str, now: datetime, *, trader_id: str | None = None
) -> Order:
    """`cancel` in the caller's transaction."""
    return joined(tr, cancel, CancelOrder(order_id, trader_id), now)


def cancel(command: CancelOrder, uow: UnitOfWork) -> Order:
    """Ask for the order's end. Asking twice changes nothing the second time.

    Raises UnknownOrder (also for another trader's order) and OrderNotCancelable when the order
    has already ended (its snapshot is in `error.order`).
    """
    order = uow.order(command.order_id, trader_id=command.trader_id)
    if order.state is OrderState.CANCEL_PENDING:
        return order
    if order.ended:
        raise OrderNotCancelable(f"order is already {order.state.value}", order=order)
    instrument = uow.repo.instrument(order.instrument)
    order.request_cancel()
    for attempt in order.active_attempts:
        uow.outbox.write(cancel_command(order, attempt, uow.now))
    uow.order_changed(order, instrument)
    return order
