"""The venue router: which venue gets the next attempt, and how much. Pure, no I/O.

Default route, as the seed does: the whole remaining quantity to the venue with the best
top-of-book price on the side we take (ties: lower fee, then name). A limit is respected: a
venue whose best price is outside it is not chosen. A venue is skipped when it is halted,
its circuit is open, or the last attempt there ended short on the very quote we routed on
(its quote is stale: wait for the venue's next book update before trying it again).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class VenueQuote:
    venue: str
    instrument: str
    best_bid: Decimal | None
    bid_size: Decimal
    best_ask: Decimal | None
    ask_size: Decimal
    version: int  # grows with every book update the venue sends
    # A few levels of depth, best first, as (price, size); the top is best_ask/best_bid again.
    # Empty on a quote kept before depth was (the split strategy then sees only the touch).
    asks: tuple[tuple[Decimal, Decimal], ...] = ()
    bids: tuple[tuple[Decimal, Decimal], ...] = ()

    def levels(self, buy: bool) -> tuple[tuple[Decimal, Decimal], ...]:
        """The side a buy (asks) or a sell (bids) takes, best first, at least the touch."""
        depth = self.asks if buy else self.bids
        if depth:
            return depth
        price, size = (self.best_ask, self.ask_size) if buy else (self.best_bid, self.bid_size)
        return ((price, size),) if price is not None and size > 0 else ()


@dataclass(frozen=True)
class VenueStatus:
    name: str
    taker_fee_rate: Decimal
    available: bool  # not halted, circuit closed


@dataclass(frozen=True)
class Route:
    venue: str
    quantity: Decimal
    price: Decimal
    quote_version: int


def choose_route(
    *,
    buy: bool,
    remaining: Decimal,
    limit_price: Decimal | None,
    quotes: Iterable[VenueQuote],
    venues: Iterable[VenueStatus],
    pinned_venue: str | None = None,
    stale: dict[str, int] | None = None,
) -> Route | None:
    """The next attempt's route, or None when no venue shows liquidity inside the limit.

    `stale` maps a venue to the quote version an attempt there already ended short on.
    """
    if remaining <= 0:
        return None
    by_name = {v.name: v for v in venues}
    stale = stale or {}
    candidates: list[tuple[Decimal, Decimal, str, VenueQuote]] = []
    for quote in quotes:
        status = by_name.get(quote.venue)
        if status is None or not status.available:
            continue
        if pinned_venue and quote.venue != pinned_venue:
            continue
        if stale.get(quote.venue, -1) >= quote.version:
            continue
        price, size = (quote.best_ask, quote.ask_size) if buy else (quote.best_bid, quote.bid_size)
        if price is None or size <= 0:
            continue
        if limit_price is not None and (price > limit_price if buy else price < limit_price):
            continue
        # Sort key: best price first (lowest ask / highest bid), then fee, then name.
        candidates.append((price if buy else -price, status.taker_fee_rate, quote.venue, quote))
    if not candidates:
        return None
    _, _, venue, quote = min(candidates, key=lambda c: c[:3])
    price = quote.best_ask if buy else quote.best_bid
    assert price is not None
    return Route(venue=venue, quantity=remaining, price=price, quote_version=quote.version)


def protective_price(
    *, buy: bool, quotes: Iterable[VenueQuote], collar: Decimal, tick: Decimal
) -> Decimal | None:
    """A market order's worst acceptable price: best touch +/- `collar`, on the tick."""
    prices = [q.best_ask if buy else q.best_bid for q in quotes]
    known = [p for p in prices if p is not None]
    if not known:
        return None
    touch = min(known) if buy else max(known)
    raw = touch * (1 + collar) if buy else touch * (1 - collar)
    steps = (raw / tick).to_integral_value(rounding="ROUND_FLOOR" if buy else "ROUND_CEILING")
    return steps * tick
