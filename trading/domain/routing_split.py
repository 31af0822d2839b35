"""The split strategy: one attempt's quantity spread across venues by depth, fees and fill ratio.

Pure, no I/O. Every level inside the limit, on every venue the router may use, is ranked by
what a unit there costs the trader after the venue's taker fee (a buy: price x (1 + fee); a
sell: what it brings, price x (1 - fee)); ties go to the lower fee, then the name, as the
default route's do. The cheapest levels are taken first, each for what the venue is expected
to really fill of it: the level's size times the venue's recent fill ratio (a venue that fills
half of what it shows is credited with half its depth), down to the quantity step.

What the books cannot take goes to the venue the default route would choose (`choose_route`):
its IOC may still meet liquidity that arrived since the quote, exactly as the whole-to-best
route would; so with one usable venue the split is the default route. A venue that would get
less than the instrument's minimum gives its share to that venue too.

Guarantees (tests/unit/trading/test_routing_split.py, hypothesis): the routes never add up to
more than the quantity asked, never name a venue that is unavailable, stale, excluded or outside
the pin, and on books that hold what they show times the fill ratio, the split fills at least
the quantity the whole-to-best route fills, and its cheapest fills of that quantity cost no more.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal

from trading.domain.routing import Route, VenueQuote, VenueStatus, choose_route

# A venue with no recent history is taken at its word; a poor one keeps a little credit, so the
# split goes on probing it and its ratio can recover.
UNKNOWN_FILL_RATIO = Decimal(1)
MIN_FILL_RATIO = Decimal("0.1")


@dataclass(frozen=True)
class Level:
    """One book level as the allocator ranks it."""

    cost: Decimal  # per unit after fees: lower is better (a sell's proceeds negated)
    fee: Decimal
    venue: str
    price: Decimal
    expected: Decimal  # what the venue is expected to fill of it, on the quantity step


def fill_ratio(expected: Decimal, filled: Decimal, *, min_expected: Decimal) -> Decimal:
    """A venue's recent fill ratio from what it was expected to fill and what it filled."""
    if expected <= 0 or expected < min_expected:
        return UNKNOWN_FILL_RATIO
    return min(Decimal(1), max(MIN_FILL_RATIO, filled / expected))


def expected_depth(
    quote: VenueQuote, *, buy: bool, limit_price: Decimal | None, quantity: Decimal
) -> Decimal:
    """How much of `quantity` the venue's book shows inside the limit (capped at the quantity)."""
    depth = sum(
        (size for price, size in quote.levels(buy) if _inside(buy, price, limit_price)),
        Decimal(0),
    )
    return min(depth, quantity)


def split_routes(
    *,
    buy: bool,
    quantity: Decimal,
    limit_price: Decimal | None,
    quotes: Iterable[VenueQuote],
    venues: Iterable[VenueStatus],
    step: Decimal,
    min_quantity: Decimal,
    fill_ratios: Mapping[str, Decimal] | None = None,
    pinned_venue: str | None = None,
    stale: Mapping[str, int] | None = None,
    exclude: Iterable[str] = (),
    max_routes: int | None = None,
) -> list[Route]:
    """The attempts to send now, at most one per venue, adding up to at most `quantity`.

    `exclude` names venues that already hold a live attempt of the order (their book is that
    attempt's); `stale` is as for `choose_route`; `max_routes` bounds how many attempts.
    Empty when no usable venue shows a price inside the limit, or `quantity` is below minimum.
    """
    quantity = _on_step(quantity, step)
    if quantity < min_quantity or quantity <= 0 or max_routes == 0:
        return []
    usable = _usable(list(quotes), list(venues), pinned_venue, stale or {}, set(exclude))
    best = choose_route(
        buy=buy,
        remaining=quantity,
        limit_price=limit_price,
        quotes=[q for q, _ in usable],
        venues=[v for _, v in usable],
    )
    if best is None:
        return []
    ratios = fill_ratios or {}
    levels = _ranked_levels(usable, buy, limit_price, ratios, step)
    shares: dict[str, Decimal] = {}
    left = quantity
    for level in levels:
        if left <= 0:
            break
        take = min(level.expected, left)
        if take > 0:
            shares[level.venue] = shares.get(level.venue, Decimal(0)) + take
            left -= take
    shares = _within_bounds(shares, best.venue, left, min_quantity, max_routes, levels)
    by_venue = {q.venue: q for q, _ in usable}
    top: dict[str, Decimal] = {}
    for level in levels:  # ranked cheapest first, so a venue's first level is its best
        top.setdefault(level.venue, level.price)
    routes = [
        Route(
            venue=venue,
            quantity=share,
            price=top.get(venue, best.price),
            quote_version=by_venue[venue].version,
        )
        for venue, share in shares.items()
    ]
    # The default route's venue first, then by name: the attempts' order is deterministic.
    return sorted(routes, key=lambda r: (r.venue != best.venue, r.venue))


def _usable(
    quotes: list[VenueQuote],
    venues: list[VenueStatus],
    pinned: str | None,
    stale: Mapping[str, int],
    exclude: set[str],
) -> list[tuple[VenueQuote, VenueStatus]]:
    """(quote, status) of each venue the split may use now."""
    by_name = {v.name: v for v in venues}
    usable = []
    for quote in quotes:
        status = by_name.get(quote.venue)
        if status is None or not status.available or quote.venue in exclude:
            continue
        if pinned and quote.venue != pinned:
            continue
        if stale.get(quote.venue, -1) >= quote.version:
            continue
        usable.append((quote, status))
    return usable


def _ranked_levels(
    usable: list[tuple[VenueQuote, VenueStatus]],
    buy: bool,
    limit_price: Decimal | None,
    ratios: Mapping[str, Decimal],
    step: Decimal,
) -> list[Level]:
    levels = []
    for quote, status in usable:
        ratio = ratios.get(quote.venue, UNKNOWN_FILL_RATIO)
        for price, size in quote.levels(buy):
            if size <= 0 or not _inside(buy, price, limit_price):
                continue
            fee = status.taker_fee_rate
            cost = price * (1 + fee) if buy else -(price * (1 - fee))
            expected = _on_step(size * ratio, step)
            levels.append(Level(cost, fee, quote.venue, price, expected))
    return sorted(levels, key=lambda lv: (lv.cost, lv.fee, lv.venue, lv.price))


def _within_bounds(
    shares: dict[str, Decimal],
    best_venue: str,
    left: Decimal,
    min_quantity: Decimal,
    max_routes: int | None,
    levels: list[Level],
) -> dict[str, Decimal]:
    """Give the unallocated rest, shares below minimum and shares past `max_routes` to best.

    The best venue always keeps a place (it takes what no book shows); the others keep theirs
    by their cheapest level's rank while `max_routes` allows.
    """
    rank: dict[str, int] = {}
    for level in levels:
        rank.setdefault(level.venue, len(rank))
    others_allowed = (max_routes - 1) if max_routes is not None else len(shares)
    kept: dict[str, Decimal] = {}
    spare = left + shares.get(best_venue, Decimal(0))
    for venue in sorted(shares, key=lambda v: rank[v]):
        share = shares[venue]
        if venue == best_venue:
            continue
        if share < min_quantity or len(kept) >= others_allowed:
            spare += share
            continue
        kept[venue] = share
    if spare >= min_quantity:
        kept[best_venue] = spare
    # else (a minimum above the step): the rest waits for the next round rather than
    # going out below the venue's minimum.
    return kept


def _inside(buy: bool, price: Decimal, limit: Decimal | None) -> bool:
    return limit is None or (price <= limit if buy else price >= limit)


def _on_step(value: Decimal, step: Decimal) -> Decimal:
    return (value / step).to_integral_value(rounding=ROUND_FLOOR) * step
