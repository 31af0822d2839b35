"""Back-office staff's actions. Each goes through trading-core (never an ORM write to the truth)
in one store transaction, which also appends its audit record (before and after as read there):
the record cannot be lost once the change is made. The AuditLog table is then brought up to
date from the store (backoffice/audit/services.py).

Every function checks the caller may operate (backoffice/permissions.py) before anything.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, TypeVar

from django.conf import settings
from django.core.exceptions import PermissionDenied

from backoffice.audit.services import in_store, new_audit_id, sync_quietly
from backoffice.permissions import Actor, can_operate
from infra.store import database
from infra.store.api import Transaction, run
from kernel.errors import TradingError
from kernel.money import display, from_minor
from ledger import journal
from ledger.domain.chart import trader_account
from trading.domain.errors import UnknownOrder
from trading.domain.orders import Order
from trading.repository import Repository
from trading.services import adjustments
from trading.services.cancel import OrderNotCancelable, cancel_order
from trading.services.reference import set_trader_halted, set_venue_state

T = TypeVar("T")

# Adjustments larger than this (in units of the asset) wait for a second staff member.
# settings.ADJUSTMENT_APPROVAL_OVER overrides it; an asset not named there needs no approval.
DEFAULT_APPROVAL_OVER = {"USD": "10000", "BTC": "1", "ETH": "10"}


class ActionRefused(Exception):
    """trading-core refused the action; `field` names the input at fault."""

    def __init__(self, message: str, field: str = "non_field_errors") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def _require_operator(user: Actor) -> None:
    if not can_operate(user):
        raise PermissionDenied("only back-office staff run this action")


def _order_view(order: Order) -> dict[str, Any]:
    return {
        "state": order.state.value,
        "seq": order.seq,
        "filled_quantity": display(order.filled_quantity),
        "remaining_quantity": display(order.remaining_quantity),
    }


def order_cancel(*, user: Actor, order_id: str) -> str:
    """Ask trading-core to cancel; returns the order's state after (or raises ActionRefused)."""
    _require_operator(user)
    now = datetime.now(UTC)
    audit_id = new_audit_id()

    def cancel(tr: Transaction) -> tuple[dict[str, Any], str | None]:
        current = Repository(tr).find_order(order_id)
        if current is None:
            raise UnknownOrder(f"no order {order_id}")
        before = _order_view(current)
        try:
            after, refused = _order_view(cancel_order(tr, order_id, now)), None
        except OrderNotCancelable as refusal:
            after, refused = before, refusal.message
        in_store(
            tr,
            audit_id=audit_id,
            user=user,
            action="order.cancel",
            target=f"order:{order_id}",
            before=before,
            after={**after, "refused": refused} if refused else after,
            now=now,
        )
        return after, refused

    after, refused = _run(cancel)
    if refused:
        raise ActionRefused(refused)
    return str(after["state"])


def trader_set_halted(*, user: Actor, trader_id: str, halted: bool) -> None:
    """Halt a trader (no new orders) or let them trade again."""
    _require_operator(user)
    audit_id = new_audit_id()

    def change(tr: Transaction) -> None:
        current = Repository(tr).trader(trader_id)
        before = current.halted if current is not None else False
        after = set_trader_halted(tr, trader_id, halted).halted
        in_store(
            tr,
            audit_id=audit_id,
            user=user,
            action="trader.halt" if halted else "trader.resume",
            target=trader_account(trader_id),
            before={"halted": before},
            after={"halted": after},
        )

    _run(change)


def venue_set_halted(*, user: Actor, venue: str, halted: bool) -> None:
    """Halt a venue (the router skips it) or bring it back."""
    _require_operator(user)
    audit_id = new_audit_id()

    def change(tr: Transaction) -> None:
        current = Repository(tr).venue(venue)
        before = {"halted": current.halted, "circuit_open": current.circuit_open} if current else {}
        updated = set_venue_state(tr, venue, halted=halted)
        in_store(
            tr,
            audit_id=audit_id,
            user=user,
            action="venue.halt" if halted else "venue.resume",
            target=f"venue:{venue}",
            before=before,
            after={"halted": updated.halted, "circuit_open": updated.circuit_open},
        )

    _run(change)


def _run(fn: Callable[[Transaction], T]) -> T:
    """One store transaction of trading-core; a refusal becomes ActionRefused, then the audit
    log table is brought up to date with what the transaction recorded."""
    try:
        result = run(database(), fn)
    except TradingError as error:
        raise ActionRefused(error.message, error.field) from None
    sync_quietly()
    return result


def approval_limits() -> dict[str, Decimal]:
    """Per asset, the size above which an adjustment needs a second staff member."""
    limits = getattr(settings, "ADJUSTMENT_APPROVAL_OVER", DEFAULT_APPROVAL_OVER)
    return {str(asset).upper(): Decimal(str(limit)) for asset, limit in limits.items()}


def approval_over(asset: str) -> Decimal | None:
    return approval_limits().get(asset.upper())


def _balance_view(tr: Transaction, trader_id: str, asset: str) -> dict[str, Any]:
    account = trader_account(trader_id)
    return {
        "asset": asset,
        "balance": display(from_minor(journal.balance(tr, account, asset))),
        "held": display(from_minor(journal.held(tr, trader_id, asset))),
    }


def adjustment_post(
    *,
    user: Actor,
    trader_id: str,
    asset: str,
    amount: Decimal,
    reason: str,
    submission_id: str,
) -> adjustments.Outcome:
    """Post a manual adjustment to a trader (against the `adjustments` account), or record it
    pending a second staff member's approval when it is over `approval_over`.

    Keyed by `submission_id` (one per form shown) in the store transaction: the same form
    submitted again changes nothing (`repeated`). Refusals (overdraft, unknown asset) raise
    ActionRefused naming the field, from trading-core itself.
    """
    _require_operator(user)
    asset = asset.strip().upper()
    now = datetime.now(UTC)
    audit_id = new_audit_id()

    def post(tr: Transaction) -> adjustments.Outcome:
        before = _balance_view(tr, trader_id, asset)
        outcome = adjustments.request_adjustment(
            tr,
            submission_id=submission_id,
            trader_id=trader_id,
            asset=asset,
            amount=amount,
            reason=reason,
            requested_by=user.get_username(),
            now=now,
            approval_over=approval_over(asset),
        )
        request = outcome.request
        fresh_pending = not outcome.repeated and request.state == adjustments.PENDING
        action = "ledger.adjustment.request" if fresh_pending else "ledger.adjustment"
        in_store(
            tr,
            audit_id=audit_id,
            user=user,
            action=action,
            target=trader_account(trader_id),
            before=before,
            after={
                **_balance_view(tr, trader_id, asset),
                "entry_id": request.entry_id,
                "amount": display(Decimal(amount)) if not outcome.repeated else request.amount,
                "reason": reason,
                "state": request.state,
                "posted": not outcome.repeated and request.state == adjustments.POSTED,
            },
            now=now,
        )
        return outcome

    return _run(post)


def adjustment_decide(*, user: Actor, submission_id: str, approve: bool) -> adjustments.Outcome:
    """A second staff member approves (posts) or rejects a pending adjustment."""
    _require_operator(user)
    now = datetime.now(UTC)
    audit_id = new_audit_id()

    def decide(tr: Transaction) -> adjustments.Outcome:
        found = adjustments.find(tr, submission_id)
        before = _balance_view(tr, found.trader_id, found.asset) if found else {}
        outcome = adjustments.decide(
            tr,
            submission_id=submission_id,
            approve=approve,
            decided_by=user.get_username(),
            now=now,
        )
        request = outcome.request
        in_store(
            tr,
            audit_id=audit_id,
            user=user,
            action="ledger.adjustment.approve" if approve else "ledger.adjustment.reject",
            target=trader_account(request.trader_id),
            before=before,
            after={
                **_balance_view(tr, request.trader_id, request.asset),
                "entry_id": request.entry_id,
                "amount": request.amount,
                "requested_by": request.requested_by,
                "state": request.state,
                "posted": not outcome.repeated and request.state == adjustments.POSTED,
            },
            now=now,
        )
        return outcome

    return _run(decide)


def pending_adjustments() -> list[adjustments.AdjustmentRequest]:
    return run(database(), adjustments.pending)


def adjustment_request(submission_id: str) -> adjustments.AdjustmentRequest | None:
    return run(database(), lambda tr: adjustments.find(tr, submission_id))
