"""Pre-trade risk in the store: the limits (reference data), the trader's exposure and order
rate, read and checked inside place_order's transaction (trading/domain/risk.py decides).

- Limits: ("trading", "risk_limit", trader | "*", instrument | "*") -> Limits.
- Exposure: per (trader, instrument, side) the open quantity and notional of open orders, in
  minor units, kept by atomic adds in Repository.save_order (each save adds the order's change
  since it was read), so a check reads four counters instead of every open order.
- Rate: per (trader, epoch second) the orders accepted in that second, added in the accepting
  transaction (so a replayed or deduplicated submission is never counted twice, and the count
  holds across web workers); older seconds are cleared by the next acceptance.
- Refusals: counted in ("trading", "counter", "risk_refusals", limit) by `record_refusal`, in a
  transaction of its own (the refused one writes nothing); /metrics shows risk_refusals_total.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from infra.store.api import Database, Transaction, run
from kernel import codec
from kernel.errors import InvalidField
from kernel.money import from_minor, parse_decimal
from trading import keys
from trading.domain import risk
from trading.domain.instruments import Instrument
from trading.domain.orders import Order, OrderType, Side
from trading.repository import Repository

ANY = risk.ANY


def _desk_limits(max_order_quantity: int, max_position: int) -> risk.Limits:
    """The seeded limits of one instrument: only its sizes differ from the others'."""
    return risk.Limits(
        max_order_quantity=Decimal(max_order_quantity),
        max_order_notional=Decimal(250_000),
        max_open_notional=Decimal(2_000_000),
        max_position=Decimal(max_position),
        price_band=Decimal("0.10"),
    )


# Defaults `make run` seeds (seed_reference_data), per instrument for every trader. Sized for a
# desk trading a few hundred thousand USD a day: a typed extra zero is refused, the seed order
# (3 BTC at 10,000) and every test and bench order pass (the tests' marketable sells go 9.8%
# through the bid, hence a 10% band: crypto moves several % in minutes, a typo is 10x).
# The demo trader's funds (1,000,000 USD, 100 BTC) bind before the open-notional default.
# Staff change them in the admin.
DEFAULT_INSTRUMENT_LIMITS = {"BTC-USD": _desk_limits(25, 100), "ETH-USD": _desk_limits(250, 1_000)}
# Every trader, every instrument: a runaway client is stopped, a busy algorithm is not (the
# bench sends ~300 orders/s for one trader; the API throttle allows 100/s on average).
DEFAULT_LIMITS = risk.Limits(orders_per_second=500)


def _limit_key(trader_id: str, instrument: str) -> bytes:
    return keys.RISK_LIMIT.pack((trader_id, instrument))


def limits_at(tr: Transaction, trader_id: str, instrument: str) -> risk.Limits | None:
    """The limits stored at exactly this scope (None: nothing set there)."""
    data = tr.get(_limit_key(trader_id, instrument))
    return None if data is None else codec.decode(data, risk.Limits)


def effective_limits(tr: Transaction, trader_id: str, instrument: str) -> risk.Limits:
    """What applies to `trader_id` trading `instrument`, scope by scope."""
    scopes = [(trader_id, instrument), (trader_id, ANY), (ANY, instrument), (ANY, ANY)]
    return risk.resolve([limits_at(tr, t, i) for t, i in scopes])


def all_limits(tr: Transaction) -> list[tuple[str, str, risk.Limits]]:
    """Every stored scope: (trader | "*", instrument | "*", limits), in key order."""
    rng = keys.RISK_LIMIT.range()
    return [
        (*keys.RISK_LIMIT.unpack(k), codec.decode(v, risk.Limits))
        for k, v in tr.get_range(rng.start, rng.stop)
    ]


def set_limits(
    tr: Transaction, trader_id: str, instrument: str, limits: risk.Limits
) -> risk.Limits | None:
    """Store the limits of one scope (all None: a trader's scope is removed); returns the old.

    Refused (InvalidField) for an unknown instrument or trader and for a negative number.
    """
    repo = Repository(tr)
    if instrument != ANY:
        repo.instrument(instrument)  # InvalidField on `instrument` when unknown
    if trader_id != ANY and repo.trader(trader_id) is None:
        raise InvalidField("unknown trader", field="trader_id")
    check_limits(limits)
    before = limits_at(tr, trader_id, instrument)
    # An emptied trader scope is removed; an emptied "every trader" scope is kept, empty, so
    # the next `make run` does not seed its defaults back over staff's decision.
    if limits == risk.Limits() and trader_id != ANY:
        tr.clear(_limit_key(trader_id, instrument))
    else:
        tr.set(_limit_key(trader_id, instrument), codec.encode(limits))
    return before


def check_limits(limits: risk.Limits) -> None:
    """Every limit given is a number >= 0 (0 refuses every order), a band below 100%."""
    for name in risk.LIMIT_NAMES:
        value = getattr(limits, name)
        if value is None:
            continue
        number = parse_decimal(value, field=name)
        if number < 0:
            raise InvalidField("must not be negative", field=name)
        if name == "price_band" and number >= 1:
            raise InvalidField("a fraction below 1, like 0.05 for 5%", field=name)
        if name == "orders_per_second" and number != int(number):
            raise InvalidField("must be a whole number", field=name)


def seed_default_limits(tr: Transaction) -> None:
    """The default limits, written only where a scope has none (staff's edits are kept)."""
    defaults = [((ANY, ANY), DEFAULT_LIMITS)] + [
        ((ANY, symbol), limits) for symbol, limits in DEFAULT_INSTRUMENT_LIMITS.items()
    ]
    for (trader_id, instrument), limits in defaults:
        if limits_at(tr, trader_id, instrument) is None:
            tr.set(_limit_key(trader_id, instrument), codec.encode(limits))


# --- exposure -------------------------------------------------------------------------------
def _exposure_key(trader_id: str, instrument: str, side: str, what: str) -> bytes:
    return keys.EXPOSURE.pack((trader_id, instrument, side, what))


def _counter(tr: Transaction, key: bytes) -> int:
    data = tr.get(key)
    return 0 if data is None else int.from_bytes(data, "little", signed=True)


def exposure(tr: Transaction, trader_id: str, instrument: str) -> risk.Exposure:
    """The trader's position and open orders in `instrument` (counters below 0, left by orders
    placed before the counters existed, read as 0)."""

    def read(side: str, what: str) -> Decimal:
        value = _counter(tr, _exposure_key(trader_id, instrument, side, what))
        return from_minor(max(value, 0))

    return risk.Exposure(
        position=Repository(tr).position(trader_id, instrument).quantity,
        open_buy_quantity=read("buy", "quantity"),
        open_sell_quantity=read("sell", "quantity"),
        open_notional=read("buy", "notional") + read("sell", "notional"),
    )


EXPOSURE_BUILT = keys.ROOT.pack(("exposure_built",))
REBUILD_PAGE = 500  # orders per read transaction


def exposure_counters(tr: Transaction) -> dict[tuple[str, str, str, str], int]:
    """Every exposure counter: (trader, instrument, side, quantity|notional) -> minor units."""
    rng = keys.EXPOSURE.range()
    return {
        keys.EXPOSURE.unpack(k): int.from_bytes(v, "little", signed=True)
        for k, v in tr.get_range(rng.start, rng.stop)
    }


def rebuild_exposure_once(db: Database) -> bool:
    """Count the open orders of a store written before the exposure counters existed, once.

    Run by `seed_platform` before any part starts (nothing changes orders meanwhile); the
    marker key makes every later start a single read. True when it rebuilt.
    """
    if run(db, lambda tr: tr.get(EXPOSURE_BUILT)) is not None:
        return False
    totals: dict[tuple[str, str, str, str], int] = defaultdict(int)
    start, stop = keys.ORDER.range().start, keys.ORDER.range().stop

    def page(tr: Transaction, begin: bytes) -> list[tuple[bytes, Order]]:
        rows = tr.get_range(begin, stop, limit=REBUILD_PAGE)
        return [(k, codec.decode(v, Order)) for k, v in rows]

    while rows := run(db, lambda tr, b=start: page(tr, b)):  # type: ignore[misc]
        for _, order in rows:
            quantity, notional = risk.exposure_minor(order)
            base = (order.trader_id, order.instrument, order.side.value)
            totals[(*base, "quantity")] += quantity
            totals[(*base, "notional")] += notional
        start = rows[-1][0] + b"\x00"

    def write(tr: Transaction) -> None:
        rng = keys.EXPOSURE.range()
        tr.clear_range(rng.start, rng.stop)
        for key, value in totals.items():
            if value:
                tr.set(keys.EXPOSURE.pack(key), value.to_bytes(8, "little", signed=True))
        tr.set(EXPOSURE_BUILT, b"1")

    run(db, write)
    return True


# --- order rate -----------------------------------------------------------------------------
def _second(now: datetime) -> int:
    return int(now.timestamp())


def accepted_this_second(tr: Transaction, trader_id: str, now: datetime) -> int:
    return _counter(tr, keys.ORDER_RATE.pack((trader_id, _second(now))))


def count_accepted(tr: Transaction, trader_id: str, now: datetime) -> None:
    """One more order accepted this second; earlier seconds' counters are cleared (blind writes:
    no read, so no conflict with another transaction of the same trader)."""
    second = _second(now)
    tr.add(keys.ORDER_RATE.pack((trader_id, second)), 1)
    tr.clear_range(
        keys.ORDER_RATE.range((trader_id,)).start, keys.ORDER_RATE.pack((trader_id, second))
    )


# --- the check ------------------------------------------------------------------------------
def check_place(tr: Transaction, order: Order, instrument: Instrument, now: datetime) -> None:
    """Raise RiskRefused if `order` breaks one of its trader's limits; else count it as accepted.

    Called inside place_order's transaction, after the request was validated and deduplicated.
    """
    limits = effective_limits(tr, order.trader_id, order.instrument)
    quotes = Repository(tr).quotes(order.instrument)
    bids = [q.best_bid for q in quotes if q.best_bid is not None]
    asks = [q.best_ask for q in quotes if q.best_ask is not None]
    proposed = risk.ProposedOrder(
        side=order.side,
        quantity=order.quantity,
        price=order.protect_price,
        is_limit=order.order_type is OrderType.LIMIT,
        base=instrument.base,
        quote=instrument.quote,
        price_tick=instrument.price_tick,
    )
    risk.check_order(
        proposed,
        limits,
        exposure(tr, order.trader_id, order.instrument),
        risk.reference_price(Side(order.side), bids, asks),
        accepted_this_second(tr, order.trader_id, now),
    )
    count_accepted(tr, order.trader_id, now)


def record_refusal(tr: Transaction, limit: str) -> None:
    """Count one refusal by `limit` (shown on /metrics as risk_refusals_total{limit})."""
    tr.add(keys.COUNTER.pack(("risk_refusals", limit)), 1)


def with_values(limits: risk.Limits, values: dict[str, object]) -> risk.Limits:
    """`limits` with the given fields replaced (text from a form: "" = not set here)."""
    changes: dict[str, Any] = {}
    for name in risk.LIMIT_NAMES:
        if name not in values:
            continue
        raw = values[name]
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            changes[name] = None
            continue
        number = parse_decimal(raw.strip() if isinstance(raw, str) else raw, field=name)
        changes[name] = (
            int(number) if name == "orders_per_second" and number == int(number) else number
        )
    result = replace(limits, **changes)
    check_limits(result)
    return result
