"""The store's invariants, checked by reading everything in one transaction (a pair assertion:
the rules enforced at write time, checked again on read)."""

from __future__ import annotations

from collections import Counter, defaultdict
from decimal import Decimal

from infra.store.api import Transaction
from ledger import journal
from ledger.domain.entries import JournalEntry
from trading import codec
from trading.domain.orders import Side
from trading.domain.reservations import hold_asset, hold_minor
from trading.repository import Repository
from trading.services.working import MAX_FEE_RATE


def find_violations(tr: Transaction) -> list[str]:
    """Every broken invariant, as a sentence; an empty list means the store is sound."""
    repo = Repository(tr)
    return [*_ledger(tr), *_orders_fills_positions_holds(repo)]


def _ledger(tr: Transaction) -> list[str]:
    findings = []
    computed: dict[tuple[str, str], int] = defaultdict(int)
    rng = journal.ENTRY.range()
    for _, value in tr.get_range(rng.start, rng.stop):
        entry = codec.decode(value, JournalEntry)  # decoding re-checks that it balances
        for p in entry.postings:
            computed[(p.account, p.asset)] += p.amount
    stored: dict[tuple[str, str], int] = {}
    rng = journal.BALANCE.range()
    for key, value in tr.get_range(rng.start, rng.stop):
        account, asset = journal.BALANCE.unpack(key)
        stored[(account, asset)] = int.from_bytes(value, "little", signed=True)
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


def _orders_fills_positions_holds(repo: Repository) -> list[str]:
    findings = []
    signed_fills: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    needed_holds: dict[tuple[str, str], int] = defaultdict(int)
    venue_fills: Counter[tuple[str, str]] = Counter()
    instruments = {i.symbol: i for i in repo.instruments()}
    states: Counter[str] = Counter()
    for order_id in repo.all_order_ids():
        order = repo.order(order_id)
        states[order.state.value] += 1
        fills = repo.order_fills(order_id)
        by_fills = sum((f.quantity for f in fills), Decimal(0))
        by_attempts = sum((a.filled_quantity for a in order.attempts), Decimal(0))
        if not order.filled_quantity == by_fills == by_attempts:
            findings.append(
                f"order {order_id} filled {order.filled_quantity}, fills {by_fills}, "
                f"attempts {by_attempts}"
            )
        if order.filled_quantity > order.quantity:
            findings.append(f"order {order_id} is overfilled")
        for fill in fills:
            venue_fills[(fill.venue, fill.venue_fill_id)] += 1
            sign = 1 if order.side is Side.BUY else -1
            signed_fills[(order.trader_id, order.instrument)] += sign * fill.quantity
        asset = hold_asset(order, instruments[order.instrument])
        needed_holds[(order.trader_id, asset)] += hold_minor(order, MAX_FEE_RATE)
    findings += [f"venue fill {k} applied {n} times" for k, n in venue_fills.items() if n > 1]
    counted = {label: n for (name, label), n in repo.counters().items() if name == "orders" and n}
    if counted != dict(states):
        findings.append(f"order counters say {counted}, the orders are {dict(states)}")
    for position in repo.positions():
        expected = signed_fills.pop((position.trader_id, position.instrument), Decimal(0))
        if position.quantity != expected:
            findings.append(
                f"position {position.trader_id} {position.instrument} is {position.quantity}, "
                f"fills say {expected}"
            )
    findings += [f"fills of {k} have no position" for k, q in signed_fills.items() if q]
    for trader in repo.traders():
        holds = journal.holds(repo.tr, trader.trader_id)
        for asset in holds.keys() | {a for t, a in needed_holds if t == trader.trader_id}:
            held = holds.get(asset, 0)
            needed = needed_holds.get((trader.trader_id, asset), 0)
            if held != needed:
                findings.append(
                    f"trader {trader.trader_id} holds {held} {asset}, open orders need {needed}"
                )
    return findings
