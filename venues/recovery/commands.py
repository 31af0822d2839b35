"""What a venue command checks in the store before it touches the venue.

A command can arrive late (a backlog), twice (redelivered after a worker died, acks late) or
after its attempt ended (reconciliation got there first): only a live attempt is acted on,
and a place that was started before is asked about at the venue, never sent blindly again.
"""

from __future__ import annotations

from datetime import datetime

from infra.store.api import Transaction
from infra.store.keys import Subspace
from trading.domain.orders import Attempt
from trading.repository import Repository

PLACE_STARTED = Subspace(("venues", "place_started"))  # (venue, client order id) -> ISO time


def live_attempt(tr: Transaction, order_id: str, attempt_id: str) -> Attempt | None:
    """The attempt if the store still has it live; None if it ended or is unknown."""
    order = Repository(tr).find_order(order_id)
    attempt = order.attempt(attempt_id) if order else None
    return None if attempt is None or attempt.ended else attempt


def start_place(tr: Transaction, venue: str, client_order_id: str, now: datetime) -> bool:
    """Record that this place is being sent; True if it was started before (a redelivery)."""
    key = PLACE_STARTED.pack((venue, client_order_id))
    before = tr.get(key) is not None
    if not before:
        tr.set(key, now.isoformat().encode())
    return before
