"""Venue quotes, kept where the router reads them; a book update re-works resting orders."""

from __future__ import annotations

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
    """Keep `quote` unless a newer one is there; returns how many resting orders got an attempt."""
    repo = Repository(tr)
    current = repo.quote(quote.venue, quote.instrument)
    if current is not None and current.version >= quote.version:
        return 0
    repo.save_quote(quote)
    return rework_resting(tr, quote.instrument, now)


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
