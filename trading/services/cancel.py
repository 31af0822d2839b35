"""cancel_order: canceled at once when nothing is at a venue, else cancel_pending."""

from __future__ import annotations

from datetime import datetime

from infra.store.api import Transaction
from trading import outbox as ob
from trading.domain.errors import OrderNotCancelable
from trading.domain.orders import Order, OrderState
from trading.domain.reservations import hold_minor
from trading.repository import Repository
from trading.services.working import MAX_FEE_RATE, cancel_command, publish_delta, sync_hold


def cancel_order(
    tr: Transaction, order_id: str, now: datetime, *, trader_id: str | None = None
) -> Order:
    """Ask for the order's end. Asking twice changes nothing the second time.

    Raises UnknownOrder (also for another trader's order) and OrderNotCancelable when the order
    has already ended (its snapshot is in `error.order`).
    """
    repo = Repository(tr)
    order = repo.order(order_id, trader_id=trader_id)
    if order.state is OrderState.CANCEL_PENDING:
        return order
    if order.ended:
        raise OrderNotCancelable(f"order is already {order.state.value}", order=order)
    instrument = repo.instrument(order.instrument)
    held_before = hold_minor(order, MAX_FEE_RATE)
    box = ob.Outbox(tr)
    order.request_cancel()
    for attempt in order.active_attempts:
        box.write(cancel_command(order, attempt, now))
    order.touch(now)
    sync_hold(order, instrument, held_before, repo)
    publish_delta(box, order, now)
    repo.save_order(order)
    return order
