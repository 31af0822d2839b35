"""Venue quotes, kept where the router reads them; a book update re-works resting orders."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from infra.store.api import Transaction
from trading import outbox as ob
from trading.domain.reservations import hold_minor
from trading.repository import Repository
from trading.services.working import MAX_FEE_RATE, publish_delta, sync_hold, work
from venues.routing import VenueQuote

# A bound on how many resting orders one book update re-works in its transaction.
MAX_REWORK_PER_UPDATE = 100


def record_quote(tr: Transaction, quote: VenueQuote, now: datetime) -> int:
    """Keep the venue's new touch and depth; returns how many resting orders it gave an attempt."""
    repo = Repository(tr)
    current = repo.quote(quote.venue, quote.instrument)
    if current is not None and _same_touch(current, quote):
        return 0
    # The version is ours, +1 per change: venues restart and renumber, the router must not.
    repo.save_quote(replace(quote, version=(current.version + 1) if current else 1))
    return rework_resting(tr, quote.instrument, now)


def _same_touch(a: VenueQuote, b: VenueQuote) -> bool:
    """The same touch and the same depth levels: nothing the router reads has changed."""

    def touch(q: VenueQuote) -> tuple[object, ...]:
        return (q.best_bid, q.bid_size, q.best_ask, q.ask_size, q.asks, q.bids)

    return touch(a) == touch(b)


def rework_resting(tr: Transaction, instrument_symbol: str, now: datetime) -> int:
    """Route resting orders of one instrument again (after a book update or a venue recovering)."""
    repo = Repository(tr)
    instrument = repo.instrument(instrument_symbol)
    box = ob.Outbox(tr)
    routed = 0
    for order_id in repo.resting_order_ids(instrument_symbol)[:MAX_REWORK_PER_UPDATE]:
        order = repo.order(order_id)
        held_before = hold_minor(order, MAX_FEE_RATE)
        attempts_before = len(order.attempts)
        work(repo, box, order, instrument, now)
        if len(order.attempts) == attempts_before:
            continue
        routed += 1
        order.touch(now)
        sync_hold(order, instrument, held_before, repo)
        publish_delta(box, order, now)
        repo.save_order(order)
    return routed


def reopen_venue(tr: Transaction, venue: str, now: datetime) -> int:
    """The venue answers again: close its circuit and re-work resting orders everywhere."""
    from trading.services.reference import set_venue_state

    repo = Repository(tr)
    record = repo.venue(venue)
    if record is None or not record.circuit_open:
        return 0
    set_venue_state(tr, venue, circuit_open=False)
    return sum(rework_resting(tr, i.symbol, now) for i in repo.instruments())
