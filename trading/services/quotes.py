"""Venue quotes, kept where the router reads them; a book update re-works resting orders."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from infra.store.api import Transaction
from trading.domain.routing import VenueQuote
from trading.services.working import work
from trading.uow import UnitOfWork, joined

# A bound on how many resting orders one book update re-works in its transaction.
MAX_REWORK_PER_UPDATE = 100


@dataclass(frozen=True)
class ReworkResting:
    """Route the resting orders of one instrument again."""

    instrument: str


@dataclass(frozen=True)
class ReopenVenue:
    """The venue answers again."""

    venue: str


def record_quote(tr: Transaction, quote: VenueQuote, now: datetime) -> int:
    """`keep_quote` in the caller's transaction."""
    return joined(tr, keep_quote, quote, now)


def rework_resting(tr: Transaction, instrument_symbol: str, now: datetime) -> int:
    """`rework` in the caller's transaction."""
    return joined(tr, rework, ReworkResting(instrument_symbol), now)


def reopen_venue(tr: Transaction, venue: str, now: datetime) -> int:
    """`reopen` in the caller's transaction."""
    return joined(tr, reopen, ReopenVenue(venue), now)


def keep_quote(quote: VenueQuote, uow: UnitOfWork) -> int:
    """Keep the venue's new touch and depth; returns how many resting orders it gave an attempt."""
    repo = uow.repo
    current = repo.quote(quote.venue, quote.instrument)
    if current is not None and _same_touch(current, quote):
        return 0
    # The version is ours, +1 per change: venues restart and renumber, the router must not.
    repo.save_quote(replace(quote, version=(current.version + 1) if current else 1))
    return rework(ReworkResting(quote.instrument), uow)


def _same_touch(a: VenueQuote, b: VenueQuote) -> bool:
    """The same touch and the same depth levels: nothing the router reads has changed."""

    def touch(q: VenueQuote) -> tuple[object, ...]:
        return (q.best_bid, q.bid_size, q.best_ask, q.ask_size, q.asks, q.bids)

    return touch(a) == touch(b)


def rework(command: ReworkResting, uow: UnitOfWork) -> int:
    """Route resting orders of one instrument again (after a book update or a venue recovering).

    At most MAX_REWORK_PER_UPDATE of them, read as one bounded page; the next update routes more.
    """
    repo = uow.repo
    instrument = repo.instrument(command.instrument)
    routed = 0
    for order_id in repo.resting_order_ids(command.instrument, limit=MAX_REWORK_PER_UPDATE):
        order = uow.order(order_id)
        attempts_before = len(order.attempts)
        work(repo, uow.outbox, order, instrument, uow.now)
        if len(order.attempts) == attempts_before:
            continue
        routed += 1
        uow.order_changed(order, instrument)
    return routed


def reopen(command: ReopenVenue, uow: UnitOfWork) -> int:
    """Close the venue's circuit and re-work resting orders everywhere."""
    from trading.services.reference import set_venue_state

    record = uow.repo.venue(command.venue)
    if record is None or not record.circuit_open:
        return 0
    set_venue_state(uow.tr, command.venue, circuit_open=False)
    return sum(rework(ReworkResting(i.symbol), uow) for i in uow.repo.instruments())
