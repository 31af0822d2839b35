"""The back office's reports (selectors): numbers only, pages and CSV files are views.

- trial balance: the projected balances per asset and account; every asset sums to zero;
- positions: average cost, realized PnL, and unrealized PnL at the venues' mark (mid of the
  best bid and ask across venues, from the store's quotes);
- fills by venue and day: count, quantity, notional and fees;
- reconciliation: the store against the read models (orders, filled quantities, states,
  balances) and, in the store, the ledger against the venue fills (each fill has exactly one
  fill entry whose postings carry its quantity, notional and fee).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Count, DecimalField, F, Sum
from django.db.models.functions import TruncDate

from backoffice import selectors
from backoffice.models import DIGITS, PLACES, Balance, Fill, Order, Position
from backoffice.rows import copied
from kernel.money import display, from_minor, to_minor
from ledger.domain.chart import VenueBook, fill_entry_id, trader_account, venue_account
from ledger.domain.entries import JournalEntry
from trading.domain.orders import Fill as StoreFill
from trading.domain.orders import Order as StoreOrder
from trading.domain.orders import Side
from trading.domain.positions import Position as PositionMath


def amount(minor: int) -> str:
    return display(from_minor(minor)) or "0"


def number(value: Decimal | None) -> str:
    return "" if value is None else display(value) or "0"


# --- trial balance ------------------------------------------------------------------------------


@dataclass(frozen=True)
class AccountBalance:
    account: str
    amount_minor: int

    @property
    def amount(self) -> str:
        return amount(self.amount_minor)


@dataclass(frozen=True)
class AssetTrial:
    asset: str
    accounts: list[AccountBalance]
    total_minor: int

    @property
    def total(self) -> str:
        return amount(self.total_minor)

    @property
    def balanced(self) -> bool:
        return self.total_minor == 0


def trial_balance() -> list[AssetTrial]:
    """Per asset, every account with a balance, and the sum (zero when the ledger balances)."""
    accounts: dict[str, list[AccountBalance]] = defaultdict(list)
    totals: dict[str, int] = defaultdict(int)
    for row in Balance.objects.order_by("asset", "account"):
        totals[row.asset] += row.amount_minor
        if row.amount_minor:
            accounts[row.asset].append(AccountBalance(row.account, row.amount_minor))
    return [AssetTrial(asset, accounts[asset], totals[asset]) for asset in sorted(totals)]


# --- positions ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PositionLine:
    trader_id: str
    instrument: str
    quantity: Decimal
    average_cost: Decimal | None
    cost_basis: Decimal
    realized_pnl: Decimal
    mark: Decimal | None
    unrealized_pnl: Decimal | None


def positions() -> list[PositionLine]:
    rows = list(Position.objects.order_by("trader_id", "instrument"))
    marks = selectors.marks({p.instrument for p in rows}) if rows else {}
    lines = []
    for p in rows:
        math = PositionMath(p.trader_id, p.instrument, p.quantity, p.cost_basis, p.realized_pnl)
        mark = marks.get(p.instrument)
        lines.append(
            PositionLine(
                **copied(p, ("trader_id", "instrument", "quantity", "cost_basis", "realized_pnl")),
                average_cost=math.average_cost,
                mark=mark,
                unrealized_pnl=math.unrealized_pnl(mark),
            )
        )
    return lines


# --- fills by venue and day ---------------------------------------------------------------------


@dataclass(frozen=True)
class FillDay:
    day: date
    venue: str
    instrument: str
    fills: int
    quantity: Decimal
    notional: Decimal
    fees: Decimal
    fee_asset: str


def fills_by_venue_and_day() -> list[FillDay]:
    """Newest day first; within a day by venue and instrument (days in UTC)."""
    money = DecimalField(max_digits=DIGITS, decimal_places=2 * PLACES)
    rows = (
        Fill.objects.annotate(day=TruncDate("executed_at"))
        .values("day", "venue", "instrument", "fee_asset")
        .annotate(
            count=Count("id"),
            total_quantity=Sum("quantity"),
            total_notional=Sum(F("quantity") * F("price"), output_field=money),
            total_fees=Sum("fee"),
        )
        .order_by("-day", "venue", "instrument", "fee_asset")
    )
    return [
        FillDay(
            day=r["day"],
            venue=r["venue"],
            instrument=r["instrument"],
            fills=r["count"],
            quantity=r["total_quantity"],
            notional=r["total_notional"],
            fees=r["total_fees"],
            fee_asset=r["fee_asset"],
        )
        for r in rows
    ]


# --- reconciliation -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    check: str  # orders, balances, ledger-fills
    subject: str
    store: str
    read_model: str
    problem: str


@dataclass
class Reconciliation:
    orders_in_store: int = 0
    orders_in_read_model: int = 0
    balances_checked: int = 0
    fills_checked: int = 0
    fill_entries_checked: int = 0
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings

    def by_check(self, check: str) -> list[Finding]:
        return [f for f in self.findings if f.check == check]


def reconciliation() -> Reconciliation:
    result = Reconciliation()
    projected = {
        order_id: (filled, state)
        for order_id, filled, state in Order.objects.values_list(
            "order_id", "filled_quantity", "state"
        )
    }
    result.orders_in_read_model = len(projected)
    fills: list[tuple[StoreOrder, StoreFill]] = []
    for item in selectors.store_orders():
        result.orders_in_store += 1
        _check_order(result, item.order, projected.pop(item.order.order_id, None))
        fills += [(item.order, f) for f in item.fills]
    for order_id in sorted(projected):
        result.findings.append(
            Finding("orders", order_id, "missing", "present", "an order the store does not have")
        )
    _check_balances(result)
    _check_fill_entries(result, fills)
    return result


def _check_order(
    result: Reconciliation, order: StoreOrder, projected: tuple[Decimal, str] | None
) -> None:
    if projected is None:
        result.findings.append(
            Finding("orders", order.order_id, "present", "missing", "not projected")
        )
        return
    filled, state = projected
    if filled != order.filled_quantity:
        result.findings.append(
            Finding(
                "orders",
                order.order_id,
                number(order.filled_quantity),
                number(filled),
                "filled quantity differs",
            )
        )
    if state != order.state.value:
        result.findings.append(
            Finding("orders", order.order_id, order.state.value, state, "state differs")
        )


def _check_balances(result: Reconciliation) -> None:
    store = {k: v for k, v in selectors.store_balances().items() if v}
    projected = {
        (account, asset): minor
        for account, asset, minor in Balance.objects.values_list("account", "asset", "amount_minor")
        if minor
    }
    for account, asset in sorted(store.keys() | projected.keys()):
        result.balances_checked += 1
        in_store, in_model = store.get((account, asset), 0), projected.get((account, asset), 0)
        if in_store != in_model:
            result.findings.append(
                Finding(
                    "balances",
                    f"{account} {asset}",
                    amount(in_store),
                    amount(in_model),
                    "balance differs",
                )
            )


def _check_fill_entries(result: Reconciliation, fills: list[tuple[StoreOrder, StoreFill]]) -> None:
    instruments = {i.symbol: i for i in selectors.store_reference().instruments}
    entries: dict[str, JournalEntry] = {
        e.entry_id: e for e in selectors.store_entries() if e.kind == "fill"
    }
    result.fill_entries_checked = len(entries)
    for order, fill in fills:
        result.fills_checked += 1
        entry = entries.pop(fill_entry_id(fill.fill_id), None)
        if entry is None:
            result.findings.append(
                Finding("ledger-fills", fill.fill_id, "fill", "no entry", "a fill without entry")
            )
            continue
        instrument = instruments.get(order.instrument)
        base, quote = (
            (instrument.base, instrument.quote) if instrument else order.instrument.split("-", 1)
        )
        for problem, expected, booked in _fill_postings(order, fill, entry, base, quote):
            if expected != booked:
                result.findings.append(
                    Finding("ledger-fills", fill.fill_id, expected, booked, problem)
                )
    for entry_id in sorted(entries):
        result.findings.append(
            Finding("ledger-fills", entry_id, "no fill", "entry", "a fill entry without fill")
        )


def _fill_postings(
    order: StoreOrder, fill: StoreFill, entry: JournalEntry, base: str, quote: str
) -> list[tuple[str, str, str]]:
    """(what, the fill says, the entry says) for quantity, notional, fee and order."""
    sums: dict[tuple[str, str], int] = defaultdict(int)
    for p in entry.postings:
        sums[(p.account, p.asset)] += p.amount
    sign = 1 if order.side is Side.BUY else -1
    clearing = venue_account(fill.venue, VenueBook.CLEARING)
    fees = venue_account(fill.venue, VenueBook.FEES)
    fee_asset = fill.fee_asset or quote
    return [
        ("order differs", order.order_id, str(entry.order_id)),
        (
            "quantity differs",
            amount(sign * to_minor(fill.quantity)),
            amount(sums[(trader_account(order.trader_id), base)]),
        ),
        (
            "notional differs",
            amount(sign * to_minor(fill.quantity * fill.price)),
            amount(sums[(clearing, quote)]),
        ),
        ("fee differs", amount(to_minor(fill.fee)), amount(sums[(fees, fee_asset)])),
    ]
