"""edge-api reads: each function is the body of ONE store transaction, `run(database(), fn)`.

They read through trading-core's Repository and answer the contract's shapes
(`trading.snapshots`), so what one endpoint shows the others show too. Every scan is bounded:
a list page reads at most MAX_SCAN index entries and, if that found fewer matches than asked
for, ends early with a `next` cursor where the scan stopped (a page may then be short, even
empty, with a `next`: keep following it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from infra.store.api import Transaction
from kernel.money import display
from trading.domain.orders import Order
from trading.domain.routing import VenueQuote
from trading.repository import Repository
from trading.snapshots import fill_view, order_snapshot

# At most this many index entries (orders, fills) are read by one page.
MAX_SCAN = 1000
_CHUNK = 100
# Order ids are time-ordered to the millisecond and taken in the request that sets created_at;
# a scan newest-first stops once it is this far before `created_after`.
CREATED_AT_SLACK = timedelta(minutes=5)
_EARLIEST = datetime.min.replace(tzinfo=UTC)


@dataclass(frozen=True)
class OrderFilter:
    state: str | None = None
    instrument: str | None = None
    client_order_id: str | None = None
    created_after: datetime | None = None  # inclusive
    created_before: datetime | None = None  # exclusive

    def matches(self, order: Order) -> bool:
        return (
            (self.state is None or order.state.value == self.state)
            and (self.instrument is None or order.instrument == self.instrument)
            and (self.created_after is None or order.created_at >= self.created_after)
            and (self.created_before is None or order.created_at < self.created_before)
        )

    def past_window(self, order: Order) -> bool:
        """Every order after this one in a newest-first scan is older than the window."""
        if self.created_after is None or self.created_after < _EARLIEST + CREATED_AT_SLACK:
            return False  # nothing is older than the slack before it: no window to leave
        return order.created_at < self.created_after - CREATED_AT_SLACK


@dataclass(frozen=True)
class Page:
    results: list[dict[str, Any]]
    next_position: Any = None  # where the next page starts (exclusive), None on the last


def instruments(tr: Transaction) -> list[dict[str, Any]]:
    return [
        {
            "symbol": i.symbol,
            "base": i.base,
            "quote": i.quote,
            "quantity_step": display(i.quantity_step),
            "price_tick": display(i.price_tick),
            "min_quantity": display(i.min_quantity),
        }
        for i in Repository(tr).instruments()
    ]


def order(tr: Transaction, trader_id: str, order_id: str) -> dict[str, Any]:
    """The trader's order; UnknownOrder (404) for an unknown id or someone else's order."""
    return order_snapshot(Repository(tr).order(order_id, trader_id=trader_id))


def orders_page(
    tr: Transaction, trader_id: str, where: OrderFilter, *, before: str | None, limit: int
) -> Page:
    """The trader's orders newest first, strictly older (by id) than `before`."""
    repo = Repository(tr)
    if where.client_order_id is not None:  # unique per trader: the index answers directly
        order_id = repo.order_id_for_client_id(trader_id, where.client_order_id)
        if order_id is None or (before is not None and order_id >= before):
            return Page([])
        found = repo.order(order_id, trader_id=trader_id)
        return Page([order_snapshot(found)] if where.matches(found) else [])
    results: list[dict[str, Any]] = []
    scanned = 0
    while scanned < MAX_SCAN:
        ids = repo.trader_order_ids(trader_id, before=before, limit=min(_CHUNK, MAX_SCAN - scanned))
        if not ids:
            return Page(results)
        for order_id in ids:
            scanned += 1
            before = order_id
            current = repo.order(order_id)
            if where.past_window(current):
                return Page(results)
            if where.matches(current):
                results.append(order_snapshot(current))
                if len(results) == limit:
                    more = repo.trader_order_ids(trader_id, before=order_id, limit=1)
                    return Page(results, order_id if more else None)
    return Page(results, before)


def fills_page(
    tr: Transaction,
    trader_id: str,
    *,
    order_id: str | None,
    instrument: str | None,
    before: bytes | None,
    seen: int,
    limit: int,
) -> Page:
    """The trader's fills newest first, strictly before the index key `before`.

    With `order_id`, `seen` counts that order's fills on earlier pages: the walk ends at its
    last fill (the order knows how many it has) instead of reading to the trader's first fill.
    The next position is (index key, seen).
    """
    repo = Repository(tr)
    wanted = None
    if order_id is not None:
        wanted = repo.find_order(order_id)
        if wanted is None or wanted.trader_id != trader_id:
            return Page([])
    orders = _OrderCache(repo)
    results: list[dict[str, Any]] = []
    scanned = 0
    while scanned < MAX_SCAN and (wanted is None or seen < wanted.fill_count):
        rows = repo.trader_fills(trader_id, before=before, limit=min(_CHUNK, MAX_SCAN - scanned))
        if not rows:
            return Page(results)
        for key, fill in rows:
            scanned += 1
            before = key
            if wanted is not None:
                if fill.order_id != wanted.order_id:
                    continue
                seen += 1
            owner = orders.get(fill.order_id)
            if instrument is None or owner.instrument == instrument:
                results.append(fill_view(fill, instrument=owner.instrument, side=owner.side.value))
            if wanted is not None and seen >= wanted.fill_count:
                return Page(results)
            if len(results) == limit:
                more = repo.trader_fills(trader_id, before=key, limit=1)
                return Page(results, (key, seen) if more else None)
    return Page(results, (before, seen) if scanned >= MAX_SCAN else None)


class _OrderCache:
    """Orders read once per transaction (a page shows many fills of few orders)."""

    def __init__(self, repo: Repository) -> None:
        self.repo = repo
        self.orders: dict[str, Order] = {}

    def get(self, order_id: str) -> Order:
        if order_id not in self.orders:
            self.orders[order_id] = self.repo.order(order_id)
        return self.orders[order_id]


def positions(tr: Transaction, trader_id: str) -> list[dict[str, Any]]:
    repo = Repository(tr)
    result = []
    for position in repo.positions(trader_id):
        mark = mark_price(repo.quotes(position.instrument))
        result.append(
            {
                "instrument": position.instrument,
                "quantity": display(position.quantity),
                "average_cost": display(position.average_cost),
                "realized_pnl": display(position.realized_pnl),
                "unrealized_pnl": display(position.unrealized_pnl(mark)),
            }
        )
    return result


def mark_price(quotes: list[VenueQuote]) -> Decimal | None:
    """The best venue mark: mid of the best bid and best ask across venues, or the side there is."""
    bids = [q.best_bid for q in quotes if q.best_bid is not None]
    asks = [q.best_ask for q in quotes if q.best_ask is not None]
    if bids and asks:
        return (max(bids) + min(asks)) / 2
    if bids:
        return max(bids)
    if asks:
        return min(asks)
    return None
