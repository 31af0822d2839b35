"""Venue vs store: the attempts whose state at the venue differs from the store's.

For the staff report: every live attempt (through the index, bounded) and the attempts of the
newest orders, each asked about at its venue. In-flight differences younger than a few seconds
are normal (reports are on their way) and are not listed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Protocol

from infra.store.api import Database, Transaction
from infra.store.api import run as run_tr
from trading import keys
from trading.domain.orders import Order
from trading.repository import Repository
from venues.adapters.sim.client import Answer, OutcomeUnknown, VenueUnavailable
from venues.recovery.timing import NOT_PLACED_AFTER_S


class StatusClient(Protocol):
    """What the drift report asks a venue: an order's status (SIM's GET, or "unavailable")."""

    def query(self, client_order_id: str) -> Answer: ...

    def close(self) -> None: ...


SETTLE_S = 5.0  # a difference younger than this is a report in flight
LIVE_LIMIT = 500  # live attempts per venue
RECENT_ORDERS = 50


@dataclass(frozen=True)
class Drift:
    venue: str
    client_order_id: str
    age_s: float
    store_state: str
    store_filled: Decimal
    venue_status: str
    venue_filled: Decimal | None
    problem: str


@dataclass(frozen=True)
class _Seen:
    venue: str
    order_id: str
    attempt_id: str
    state: str
    filled: Decimal
    created_at: datetime


def _attempts(tr: Transaction, venues: list[str]) -> list[_Seen]:
    repo = Repository(tr)
    orders: dict[str, Order] = {}
    for venue in venues:
        for order_id, _attempt_id, _ in repo.live_attempts(venue, limit=LIVE_LIMIT):
            order = repo.find_order(order_id)
            if order:
                orders[order_id] = order
    rng = keys.ORDER.range()
    for key, _ in tr.get_range(rng.start, rng.stop, limit=RECENT_ORDERS, reverse=True):
        order_id = keys.ORDER.unpack(key)[0]
        order = orders.get(order_id) or repo.find_order(order_id)
        if order:
            orders[order_id] = order
    return [
        _Seen(a.venue, o.order_id, a.attempt_id, a.state.value, a.filled_quantity, a.created_at)
        for o in orders.values()
        for a in o.attempts
        if a.venue in venues
    ]


def venue_vs_store(
    db: Database, client: Callable[[str], StatusClient], venues: list[str]
) -> tuple[int, list[Drift]]:
    """(attempts compared, the drifts found)."""
    seen = run_tr(db, lambda tr: _attempts(tr, venues))
    now = datetime.now(UTC)
    clients = {venue: client(venue) for venue in venues}
    drifts = []
    for s in seen:
        coid = f"{s.order_id}:{s.attempt_id}"
        age = (now - s.created_at).total_seconds()
        try:
            answer = clients[s.venue].query(coid)
        except (VenueUnavailable, OutcomeUnknown) as error:
            drifts.append(
                Drift(
                    s.venue,
                    coid,
                    age,
                    s.state,
                    s.filled,
                    "no answer",
                    None,
                    f"venue unavailable: {error}",
                )
            )
            continue
        problem, status, cum = _compare(s, answer.status, answer.body, age)
        if problem:
            drifts.append(Drift(s.venue, coid, age, s.state, s.filled, status, cum, problem))
    for venue_client in clients.values():
        venue_client.close()
    return len(seen), drifts


def _compare(
    s: _Seen, status: int, body: dict[str, object], age: float
) -> tuple[str | None, str, Decimal | None]:
    if status == 404:
        if s.state in ("pending", "working") and age > NOT_PLACED_AFTER_S:
            return "the venue never received it, the store has it live", "unknown", None
        if s.filled:
            return "the venue never received it, the store has fills", "unknown", None
        return None, "unknown", None
    if status != 200:
        return f"venue answered {status}", str(status), None
    venue_status = str(body.get("status"))
    cum = Decimal(str(body.get("cum_qty", "0")))
    if age < SETTLE_S:
        return None, venue_status, cum
    if cum != s.filled:
        return f"filled {cum} at the venue, {s.filled} in the store", venue_status, cum
    live_here = s.state in ("pending", "working")
    live_there = venue_status in ("new", "partially_filled")
    if live_here != live_there:
        return f"{venue_status} at the venue, {s.state} in the store", venue_status, cum
    return None, venue_status, cum
