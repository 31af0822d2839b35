"""place_order: validate, reserve funds, write the order, EA-1 and its command in one txn."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from infra.store.api import Database, Transaction, run
from kernel.errors import InvalidField
from kernel.ids import CLIENT_ORDER_ID_RULE, valid_client_order_id
from kernel.money import display, normalized, parse_decimal
from ledger import journal
from ledger.domain.chart import trader_account
from trading.domain.errors import (
    ClientOrderIdConflict,
    InsufficientFunds,
    RiskRefused,
    TraderHalted,
)
from trading.domain.instruments import Instrument
from trading.domain.orders import Order, OrderType, RoutingStrategy, Side, TimeInForce
from trading.domain.reservations import hold_asset, hold_minor
from trading.domain.routing import protective_price
from trading.repository import Repository
from trading.services import risk
from trading.services.reference import order_strategy
from trading.services.working import MAX_FEE_RATE, work
from trading.uow import UnitOfWork, execute, joined

# A market order may not pay more than 5% over the best price we know of when it is placed.
MARKET_COLLAR = Decimal("0.05")


def new_order_id() -> str:
    """Time-ordered (nanoseconds) and unique: listing by id is listing by age."""
    return f"O{time.time_ns():016x}{secrets.token_hex(3)}"


@dataclass(frozen=True)
class PlaceOrder:
    """A trader's request; `order_id` is chosen before the transaction so a replay finds it."""

    trader_id: str
    order_id: str
    instrument: object
    side: object
    quantity: object
    limit_price: object = None
    time_in_force: object = None
    venue: object = None
    client_order_id: object = None
    strategy: object = None  # "best" | "split"; None: the trader's default


@dataclass(frozen=True)
class Placed:
    order: Order
    created: bool  # False: the same request was seen before and this is its order


def place_order(tr: Transaction, command: PlaceOrder, now: datetime) -> Placed:
    """`place` in the caller's transaction."""
    return joined(tr, place, command, now)


def place(command: PlaceOrder, uow: UnitOfWork) -> Placed:
    """Accept an order: it is `new` with EA-1 pending, or rests `working`, or expires at once.

    Idempotent on (trader, client_order_id): the same body again returns the first order,
    a different body raises ClientOrderIdConflict. Nothing is written when anything is refused.
    """
    tr, repo, now = uow.tr, uow.repo, uow.now
    existing = repo.find_order(command.order_id)
    if existing is not None:  # this transaction ran before and committed (commit_unknown_result)
        return Placed(existing, created=False)
    order, instrument = _new_order(repo, command, now)
    if order.client_order_id:
        prior = repo.order_id_for_client_id(order.trader_id, order.client_order_id)
        if prior is not None:
            first = repo.order(prior)
            if first.request_fingerprint != order.request_fingerprint:
                raise ClientOrderIdConflict("already used for a different order")
            return Placed(first, created=False)
    trader = repo.trader(order.trader_id)
    if trader is None:
        raise InvalidField("unknown trader", field="non_field_errors")
    if trader.halted:
        raise TraderHalted("trading is halted for this trader")
    asset = hold_asset(order, instrument)
    needed = hold_minor(order, MAX_FEE_RATE)
    total = journal.balance(tr, trader_account(order.trader_id), asset)
    if total - journal.held(tr, order.trader_id, asset) < needed:
        raise InsufficientFunds(f"not enough {asset} available for this order")
    risk.check_place(tr, order, instrument, now)  # RiskRefused naming the field and the limit
    work(repo, uow.outbox, order, instrument, now)
    uow.order_placed(order, instrument)  # its whole hold (of `asset`), its first delta, saved
    return Placed(order, created=True)


def submit_order(db: Database, command: PlaceOrder, now: datetime) -> Placed:
    """`place` in its own transaction; a risk refusal is counted (by limit) and re-raised.

    The refused transaction writes nothing, so the count is a second, tiny transaction.
    """
    try:
        return execute(db, place, command, now)
    except RiskRefused as refusal:
        limit = refusal.limit
        run(db, lambda tr: risk.record_refusal(tr, limit))
        raise


def _new_order(repo: Repository, c: PlaceOrder, now: datetime) -> tuple[Order, Instrument]:
    instrument = repo.instrument(c.instrument)
    if c.side not in ("buy", "sell"):
        raise InvalidField('must be "buy" or "sell"', field="side")
    side = Side(c.side)
    quantity = parse_decimal(c.quantity, field="quantity")
    instrument.check_quantity(quantity)
    limit = None
    if c.limit_price is not None:
        limit = parse_decimal(c.limit_price, field="limit_price")
        instrument.check_price(limit)
    order_type = OrderType.MARKET if limit is None else OrderType.LIMIT
    tif = _time_in_force(c.time_in_force, order_type)
    venue = _venue(repo, c.venue)
    coid = _client_order_id(c.client_order_id)
    protect = limit
    if protect is None:
        quotes = repo.quotes(instrument.symbol)
        if venue:
            quotes = [q for q in quotes if q.venue == venue]
        protect = protective_price(
            buy=side is Side.BUY, quotes=quotes, collar=MARKET_COLLAR, tick=instrument.price_tick
        )
        if protect is None:
            raise InvalidField(
                "no venue shows a price for this instrument: give a limit_price",
                field="limit_price",
            )
    strategy = order_strategy(repo, c.trader_id, c.strategy)
    fingerprint = "|".join(
        str(x)
        for x in (instrument.symbol, side, display(quantity), display(limit), tif, venue or "")
    ) + ("" if strategy is RoutingStrategy.BEST else f"|{strategy}")
    order = Order(
        order_id=c.order_id,
        trader_id=c.trader_id,
        client_order_id=coid,
        instrument=instrument.symbol,
        side=side,
        order_type=order_type,
        time_in_force=tif,
        quantity=normalized(quantity),
        limit_price=None if limit is None else normalized(limit),
        protect_price=protect,
        venue=venue,
        created_at=now,
        updated_at=now,
        request_fingerprint=fingerprint,
        expires_at=_next_midnight(now) if tif is TimeInForce.DAY else None,
        strategy=strategy,
    )
    return order, instrument


def _time_in_force(value: object, order_type: OrderType) -> TimeInForce:
    if value is None:
        return TimeInForce.IOC if order_type is OrderType.MARKET else TimeInForce.GTC
    if value not in ("GTC", "IOC", "DAY"):
        raise InvalidField('must be "GTC", "IOC" or "DAY"', field="time_in_force")
    if order_type is OrderType.MARKET and value != "IOC":
        raise InvalidField(
            "a market order is IOC: give a limit_price to rest", field="time_in_force"
        )
    return TimeInForce(value)


def _venue(repo: Repository, value: object) -> str | None:
    if value is None:
        return None
    record = repo.venue(value) if isinstance(value, str) else None
    if record is None or not isinstance(value, str):
        raise InvalidField(f"unknown venue {value!r}", field="venue")
    if record.halted:  # the kill switch: a halted venue takes no new order, pinned or not
        raise InvalidField(f"{record.name} is halted: it takes no new orders", field="venue")
    return value


def _client_order_id(value: object) -> str | None:
    if value is None:
        return None
    if not valid_client_order_id(value):
        raise InvalidField(CLIENT_ORDER_ID_RULE, field="client_order_id")
    return str(value)


def _next_midnight(now: datetime) -> datetime:
    return (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
