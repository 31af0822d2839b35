"""Back-office staff's actions. Each goes through trading-core (never an ORM write to the truth)
in one store transaction, then writes one audit row with the before and after it read there.

Every function checks the caller may operate (backoffice/permissions.py) before anything.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied

from backoffice.audit.services import record
from backoffice.permissions import can_operate
from infra.store import database
from infra.store.api import Transaction, run
from ledger import journal
from ledger.domain.entries import trader_account
from trading.domain.errors import OrderNotCancelable, TradingError, UnknownOrder
from trading.domain.money import display, from_minor
from trading.domain.orders import Order
from trading.repository import Repository
from trading.services.cancel import cancel_order
from trading.services.reference import deposit, set_trader_halted, set_venue_state


class ActionRefused(Exception):
    """trading-core refused the action; `field` names the input at fault."""

    def __init__(self, message: str, field: str = "non_field_errors") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def _require_operator(user: Any) -> None:
    if not can_operate(user):
        raise PermissionDenied("only back-office staff run this action")


def _order_view(order: Order) -> dict[str, Any]:
    return {
        "state": order.state.value,
        "seq": order.seq,
        "filled_quantity": display(order.filled_quantity),
        "remaining_quantity": display(order.remaining_quantity),
    }


def order_cancel(*, user: Any, order_id: str) -> str:
    """Ask trading-core to cancel; returns the order's state after (or raises ActionRefused)."""
    _require_operator(user)
    now = datetime.now(UTC)

    def cancel(tr: Transaction) -> tuple[dict[str, Any], dict[str, Any], str | None]:
        current = Repository(tr).find_order(order_id)
        if current is None:
            raise UnknownOrder(f"no order {order_id}")
        before = _order_view(current)
        try:
            return before, _order_view(cancel_order(tr, order_id, now)), None
        except OrderNotCancelable as refusal:
            return before, before, refusal.message

    try:
        before, after, refused = run(database(), cancel)
    except TradingError as error:
        raise ActionRefused(error.message, error.field) from None
    record(
        user=user,
        action="order.cancel",
        target=f"order:{order_id}",
        before=before,
        after={**after, "refused": refused} if refused else after,
    )
    if refused:
        raise ActionRefused(refused)
    return str(after["state"])


def trader_set_halted(*, user: Any, trader_id: str, halted: bool) -> None:
    """Halt a trader (no new orders) or let them trade again."""
    _require_operator(user)

    def change(tr: Transaction) -> tuple[bool, bool]:
        current = Repository(tr).trader(trader_id)
        before = current.halted if current is not None else False
        return before, set_trader_halted(tr, trader_id, halted).halted

    try:
        before, after = run(database(), change)
    except TradingError as error:
        raise ActionRefused(error.message, error.field) from None
    record(
        user=user,
        action="trader.halt" if halted else "trader.resume",
        target=f"trader:{trader_id}",
        before={"halted": before},
        after={"halted": after},
    )


def venue_set_halted(*, user: Any, venue: str, halted: bool) -> None:
    """Halt a venue (the router skips it) or bring it back."""
    _require_operator(user)

    def change(tr: Transaction) -> tuple[dict[str, bool], dict[str, bool]]:
        current = Repository(tr).venue(venue)
        before = {"halted": current.halted, "circuit_open": current.circuit_open} if current else {}
        updated = set_venue_state(tr, venue, halted=halted)
        return before, {"halted": updated.halted, "circuit_open": updated.circuit_open}

    try:
        before, after = run(database(), change)
    except TradingError as error:
        raise ActionRefused(error.message, error.field) from None
    record(
        user=user,
        action="venue.halt" if halted else "venue.resume",
        target=f"venue:{venue}",
        before=before,
        after=after,
    )


def adjustment_post(
    *,
    user: Any,
    trader_id: str,
    asset: str,
    amount: Decimal,
    reason: str,
    submission_id: str,
) -> bool:
    """Post a manual adjustment to a trader (against the `adjustments` account).

    The journal entry's id is made from `submission_id` (one per form shown), so the same form
    submitted twice posts once: the second call returns False and changes nothing.
    """
    _require_operator(user)
    entry_id = f"adjustment:{submission_id}"
    asset = asset.strip().upper()
    account = trader_account(trader_id)
    now = datetime.now(UTC)

    def post(tr: Transaction) -> tuple[int, int, bool]:
        before = journal.balance(tr, account, asset)
        posted = deposit(
            tr,
            entry_id=entry_id,
            trader_id=trader_id,
            asset=asset,
            amount=amount,
            now=now,
            memo=reason,
            kind="adjustment",
            counter_account="adjustments",
        )
        return before, journal.balance(tr, account, asset), posted

    try:
        before, after, posted = run(database(), post)
    except TradingError as error:
        raise ActionRefused(error.message, error.field) from None
    record(
        user=user,
        action="ledger.adjustment",
        target=f"trader:{trader_id}",
        before={"asset": asset, "balance": display(from_minor(before))},
        after={
            "asset": asset,
            "balance": display(from_minor(after)),
            "entry_id": entry_id,
            "amount": display(amount),
            "reason": reason,
            "posted": posted,
        },
    )
    return posted
