"""Back-office reads: from the store (the truth, strongly consistent) and from the read models.

Store reads are bounded: the whole store is walked in chunks, one short transaction each
(FoundationDB ends a transaction after 5 s), never in one.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from infra.store import database
from infra.store.api import Database, Transaction, run
from kernel import codec
from ledger import journal
from ledger.api import selectors as ledger_selectors
from ledger.domain.chart import fill_entry_id
from ledger.domain.entries import JournalEntry
from trading.api import selectors as trading_selectors
from trading.domain.orders import Fill, Order
from trading.repository import Repository, Trader, VenueRecord
from trading.snapshots import order_snapshot

ORDER_CHUNK = 200  # orders (with their fills) per store transaction
ENTRY_CHUNK = 1000  # journal entries per store transaction
QUARANTINE_LIMIT = 10_000  # the newest quarantined reports mirrored


@dataclass(frozen=True)
class StoreOrder:
    order: Order
    fills: list[Fill]
    booked_at: dict[str, datetime]  # fill id -> when its journal entry was posted


def store_orders(db: Database | None = None) -> Iterator[StoreOrder]:
    """Every order of the store with its fills, ORDER_CHUNK orders per transaction."""
    db = db or database()
    after: str | None = None
    while True:
        last, orders = run(db, partial(_order_page, after=after))
        yield from orders
        if last is None:
            return
        after = last


def _order_page(tr: Transaction, after: str | None) -> tuple[str | None, list[StoreOrder]]:
    """The orders after `after` (ORDER_CHUNK ids), and the cursor of the next page (None: last)."""
    ids = Repository(tr).all_order_ids(after=after, limit=ORDER_CHUNK)
    return (ids[-1] if len(ids) == ORDER_CHUNK else None), _read_orders(tr, ids)


def _read_orders(tr: Transaction, order_ids: list[str]) -> list[StoreOrder]:
    repo = Repository(tr)
    result = []
    for order_id in order_ids:
        order = repo.find_order(order_id)
        if order is None:
            continue
        fills = repo.order_fills(order_id)
        booked = {}
        for fill in fills:
            entry = journal.get_entry(tr, fill_entry_id(fill.fill_id))
            booked[fill.fill_id] = entry.created_at if entry else fill.executed_at
        result.append(StoreOrder(order, fills, booked))
    return result


def store_entries(db: Database | None = None) -> Iterator[JournalEntry]:
    """Every journal entry of the store, ENTRY_CHUNK per transaction (by entry id)."""
    db = db or database()
    after: bytes | None = None
    while True:
        rows = run(db, partial(_read_entries, after=after))
        yield from (entry for _, entry in rows)
        if len(rows) < ENTRY_CHUNK:
            return
        after = rows[-1][0]


def _read_entries(tr: Transaction, after: bytes | None) -> list[tuple[bytes, JournalEntry]]:
    rng = journal.ENTRY.range()
    begin = after + b"\x00" if after else rng.start
    rows = tr.get_range(begin, rng.stop, limit=ENTRY_CHUNK)
    return [(key, codec.decode(value, JournalEntry)) for key, value in rows]


def store_balances(db: Database | None = None) -> dict[tuple[str, str], int]:
    """(account, asset) -> minor units, as the store keeps them (ENTRY_CHUNK per transaction)."""
    db = db or database()
    rng = journal.BALANCE.range()
    balances: dict[tuple[str, str], int] = {}
    begin = rng.start
    while True:
        rows = run(db, partial(_balance_rows, begin=begin, end=rng.stop))
        balances.update(
            (journal.BALANCE.unpack(k), int.from_bytes(v, "little", signed=True)) for k, v in rows
        )
        if len(rows) < ENTRY_CHUNK:
            return balances
        begin = rows[-1][0] + b"\x00"


def store_quarantined(db: Database | None = None) -> list[dict[str, Any]]:
    return run(db or database(), lambda tr: Repository(tr).quarantined(limit=QUARANTINE_LIMIT))


@dataclass(frozen=True)
class Reference:
    instruments: list[Any]
    venues: list[VenueRecord]
    traders: list[Trader]


def store_reference(db: Database | None = None) -> Reference:
    def read(tr: Transaction) -> Reference:
        repo = Repository(tr)
        return Reference(repo.instruments(), repo.venues(), repo.traders())

    return run(db or database(), read)


def store_trader(trader_id: str) -> Trader | None:
    return run(database(), lambda tr: Repository(tr).trader(trader_id))


def store_traders() -> dict[str, Trader]:
    return {t.trader_id: t for t in run(database(), lambda tr: Repository(tr).traders())}


@dataclass(frozen=True)
class Portfolio:
    balances: list[dict[str, Any]]
    positions: list[dict[str, Any]]


def trader_portfolio(trader_id: str) -> Portfolio:
    """Balances (total, held, available) and positions with PnL, as the trader's API shows them."""

    def read(tr: Transaction) -> Portfolio:
        return Portfolio(
            ledger_selectors.balances(tr, trader_id),
            trading_selectors.positions(tr, trader_id),
        )

    return run(database(), read)


@dataclass(frozen=True)
class OrderDetail:
    snapshot: dict[str, Any] | None  # None: the store has no such order
    raw_reports: list[dict[str, Any]]


def order_detail(order_id: str) -> OrderDetail:
    """The order's snapshot and every venue report received for it, from the store."""

    def read(tr: Transaction) -> OrderDetail:
        repo = Repository(tr)
        order = repo.find_order(order_id)
        return OrderDetail(
            None if order is None else order_snapshot(order), repo.raw_reports(order_id)
        )

    return run(database(), read)


def marks(instruments: set[str], db: Database | None = None) -> dict[str, Any]:
    """Instrument -> mark price: the mid of the best bid and ask across venues (or one side)."""

    def read(tr: Transaction) -> dict[str, Any]:
        repo = Repository(tr)
        return {i: trading_selectors.mark_price(repo.quotes(i)) for i in sorted(instruments)}

    return run(db or database(), read)


def _balance_rows(tr: Transaction, begin: bytes, end: bytes) -> list[tuple[bytes, bytes]]:
    return list(tr.get_range(begin, end, limit=ENTRY_CHUNK))
