"""The store's invariants (a pair assertion: the rules enforced at write time, checked on read).

Every read is paged: `check_store` reads at most PAGE records per transaction (FoundationDB's
5 s and 10 MB limits hold for a store of any size); `find_violations` runs the same checks in
one caller's transaction, for small stores and tests. Paged transactions do not share one
snapshot, so on a platform that is trading a finding can be a change that landed between two
pages: check again once it is quiet (the operator's command and the chaos tests do).
"""

from __future__ import annotations

import os
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from datetime import datetime
from decimal import Decimal
from functools import partial
from typing import Protocol, TypeVar

from infra.store.api import Database, Transaction, run
from infra.store.keys import Subspace
from kernel import codec
from ledger import journal
from ledger.domain.chart import trader_account
from ledger.domain.entries import JournalEntry
from trading import keys
from trading.domain.orders import Fill, Order, Side
from trading.domain.positions import Position
from trading.domain.reservations import hold_asset, hold_minor
from trading.domain.risk import exposure_minor
from trading.repository import Repository, Trader
from trading.services import risk
from trading.services.working import MAX_FEE_RATE

T = TypeVar("T")


class Read(Protocol):
    """Runs one function in a transaction (the caller's, or a new one per call)."""

    def __call__(self, fn: Callable[[Transaction], T], /) -> T: ...


PAGE = 200
# An attempt still pending or working after this long is stranded: a venue answers (or its
# reconciliation ends the attempt) well within it.
STALE_ATTEMPT_S = float(os.environ.get("STALE_ATTEMPT_S", 60))


def find_violations(
    tr: Transaction, *, now: datetime | None = None, stale_after_s: float = STALE_ATTEMPT_S
) -> list[str]:
    """Every broken invariant, as a sentence, read in `tr`; empty means the store is sound.

    Attempts open for longer than `stale_after_s` are findings only when `now` is given.
    """

    def in_tr(fn: Callable[[Transaction], T]) -> T:
        return fn(tr)

    return _violations(in_tr, now, stale_after_s)


def check_store(
    db: Database, *, now: datetime | None = None, stale_after_s: float = STALE_ATTEMPT_S
) -> list[str]:
    """The same checks as `find_violations`, in bounded transactions of PAGE records each."""

    def in_own_tr(fn: Callable[[Transaction], T]) -> T:
        return run(db, fn)

    return _violations(in_own_tr, now, stale_after_s)


def _violations(read: Read, now: datetime | None, stale_after_s: float) -> list[str]:
    balances = _balances(read)
    findings = _ledger(read, balances)
    findings += _orders_fills_positions_holds(read, balances, now, stale_after_s)
    return findings


def _pages(read: Read, begin: bytes, end: bytes) -> Iterator[list[tuple[bytes, bytes]]]:
    def page(tr: Transaction, start: bytes) -> list[tuple[bytes, bytes]]:
        return tr.get_range(start, end, limit=PAGE)

    while True:
        rows = read(partial(page, start=begin))
        if rows:
            yield rows
        if len(rows) < PAGE:
            return
        begin = rows[-1][0] + b"\x00"


def _range(space: Subspace) -> tuple[bytes, bytes]:
    rng = space.range()
    return rng.start, rng.stop


def _balances(read: Read) -> dict[tuple[str, str], int]:
    rng = journal.BALANCE.range()
    return {
        journal.BALANCE.unpack(key): int.from_bytes(value, "little", signed=True)
        for rows in _pages(read, rng.start, rng.stop)
        for key, value in rows
    }


def _ledger(read: Read, stored: dict[tuple[str, str], int]) -> list[str]:
    findings = []
    computed: dict[tuple[str, str], int] = defaultdict(int)
    rng = journal.ENTRY.range()
    for rows in _pages(read, rng.start, rng.stop):
        for _, value in rows:
            entry = codec.decode(value, JournalEntry)  # decoding re-checks that it balances
            for p in entry.postings:
                computed[(p.account, p.asset)] += p.amount
    per_asset: dict[str, int] = defaultdict(int)
    for (account, asset), amount in stored.items():
        per_asset[asset] += amount
        if computed.get((account, asset), 0) != amount:
            findings.append(
                f"balance {account} {asset} is {amount}, its postings sum to "
                f"{computed.get((account, asset), 0)}"
            )
    for key in computed.keys() - stored.keys():
        if computed[key]:
            findings.append(f"postings to {key[0]} {key[1]} have no balance")
    findings += [f"ledger does not balance for {a}: {t}" for a, t in per_asset.items() if t]
    return findings


def _order_pages(read: Read) -> Iterator[list[tuple[Order, list[Fill]]]]:
    """Orders with their fills, PAGE orders per transaction (each order and its fills agree)."""
    begin, end = keys.ORDER.range().start, keys.ORDER.range().stop

    def page(tr: Transaction, start: bytes) -> tuple[bytes | None, list[tuple[Order, list[Fill]]]]:
        rows = tr.get_range(start, end, limit=PAGE)
        repo = Repository(tr)
        orders = [codec.decode(v, Order) for _, v in rows]
        last = rows[-1][0] if len(rows) == PAGE else None
        return last, [(o, repo.order_fills(o.order_id)) for o in orders]

    while True:
        last, orders = read(partial(page, start=begin))
        if orders:
            yield orders
        if last is None:
            return
        begin = last + b"\x00"


def _orders_fills_positions_holds(
    read: Read, balances: dict[tuple[str, str], int], now: datetime | None, stale_after_s: float
) -> list[str]:
    findings = []
    signed_fills: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    needed_holds: dict[tuple[str, str], int] = defaultdict(int)
    venue_fills: Counter[tuple[str, str]] = Counter()
    instruments = {i.symbol: i for i in read(lambda tr: Repository(tr).instruments())}
    states: Counter[str] = Counter()
    exposure: Counter[tuple[str, str, str, str]] = Counter()
    for page in _order_pages(read):
        for order, fills in page:
            order_id = order.order_id
            states[order.state.value] += 1
            quantity, notional = exposure_minor(order)
            exposure[(order.trader_id, order.instrument, order.side.value, "quantity")] += quantity
            exposure[(order.trader_id, order.instrument, order.side.value, "notional")] += notional
            by_fills = sum((f.quantity for f in fills), Decimal(0))
            by_attempts = sum((a.filled_quantity for a in order.attempts), Decimal(0))
            if not order.filled_quantity == by_fills == by_attempts:
                findings.append(
                    f"order {order_id} filled {order.filled_quantity}, fills {by_fills}, "
                    f"attempts {by_attempts}"
                )
            if order.filled_quantity > order.quantity:
                findings.append(f"order {order_id} is overfilled")
            if order.working_quantity > order.remaining_quantity:  # several live attempts
                findings.append(
                    f"order {order_id} has {order.working_quantity} at venues, "
                    f"{order.remaining_quantity} left to fill"
                )
            for fill in fills:
                venue_fills[(fill.venue, fill.venue_fill_id)] += 1
                sign = 1 if order.side is Side.BUY else -1
                signed_fills[(order.trader_id, order.instrument)] += sign * fill.quantity
            asset = hold_asset(order, instruments[order.instrument])
            needed_holds[(order.trader_id, asset)] += hold_minor(order, MAX_FEE_RATE)
            if now is not None:
                findings += _stale_attempts(order, now, stale_after_s)
    findings += [f"venue fill {k} applied {n} times" for k, n in venue_fills.items() if n > 1]
    counters = {
        keys.COUNTER.unpack(k): int.from_bytes(v, "little", signed=True)
        for rows in _pages(read, *_range(keys.COUNTER))
        for k, v in rows
    }
    counted = {label: n for (name, label), n in counters.items() if name == "orders" and n}
    if counted != dict(states):
        findings.append(f"order counters say {counted}, the orders are {dict(states)}")
    kept = {k: n for k, n in read(risk.exposure_counters).items() if n}
    if kept != {k: n for k, n in exposure.items() if n}:
        findings.append(f"risk exposure counters say {kept}, the open orders {+exposure}")
    positions = (
        codec.decode(v, Position) for rows in _pages(read, *_range(keys.POSITION)) for _, v in rows
    )
    for position in positions:
        expected = signed_fills.pop((position.trader_id, position.instrument), Decimal(0))
        if position.quantity != expected:
            findings.append(
                f"position {position.trader_id} {position.instrument} is {position.quantity}, "
                f"fills say {expected}"
            )
    findings += [f"fills of {k} have no position" for k, q in signed_fills.items() if q]
    findings += _holds(read, needed_holds, balances)
    return findings


def _holds(
    read: Read, needed: dict[tuple[str, str], int], balances: dict[tuple[str, str], int]
) -> list[str]:
    """Each trader's holds equal what its open orders need, and its balances cover them."""
    findings = []
    traders = (
        codec.decode(v, Trader) for rows in _pages(read, *_range(keys.TRADER)) for _, v in rows
    )
    for trader in traders:
        holds = read(partial(journal.holds, trader_id=trader.trader_id))
        for asset in sorted(holds.keys() | {a for t, a in needed if t == trader.trader_id}):
            held = holds.get(asset, 0)
            wanted = needed.get((trader.trader_id, asset), 0)
            if held != wanted:
                findings.append(
                    f"trader {trader.trader_id} holds {held} {asset}, open orders need {wanted}"
                )
        findings += _funds(trader.trader_id, balances, holds)
    return findings


def _funds(
    trader_id: str, balances: dict[tuple[str, str], int], holds: dict[str, int]
) -> list[str]:
    """A trader's balance may be neither below zero nor below what its open orders hold."""
    account = trader_account(trader_id)
    findings = []
    for asset in sorted({a for acc, a in balances if acc == account} | holds.keys()):
        total, held = balances.get((account, asset), 0), holds.get(asset, 0)
        if total < 0:
            findings.append(f"balance {account} {asset} is below zero: {total}")
        elif total < held:
            findings.append(f"balance {account} {asset} is {total}, below its holds {held}")
    return findings


def _stale_attempts(order: Order, now: datetime, stale_after_s: float) -> list[str]:
    findings = []
    for attempt in order.active_attempts:
        age = (now - attempt.created_at).total_seconds()
        if age > stale_after_s:
            findings.append(
                f"attempt {order.order_id}:{attempt.attempt_id} at {attempt.venue} has been "
                f"{attempt.state.value} for {age:.0f} s (over {stale_after_s:g} s)"
            )
    return findings
