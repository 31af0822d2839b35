"""Pre-trade risk: the limits an order must pass before trading-core accepts it.

Plain data and arithmetic (Decimal), no store: the caller reads the trader's limits, exposure,
the last venue prices and the orders already accepted this second inside place_order's
transaction, and `check_order` raises `RiskRefused` naming the request field and the limit.

Limits are data, set per scope: (trader or "*", instrument or "*"). A field left `None` at a
scope is inherited from the next one ((trader, instrument) -> (trader, "*") -> ("*",
instrument) -> ("*", "*")); `None` everywhere means not limited.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from kernel.money import MAX_AMOUNT, display, normalized, to_minor_ceiling
from trading.domain.errors import RiskRefused
from trading.domain.orders import Order, Side

ANY = "*"  # a scope that applies to every trader, or every instrument


@dataclass(frozen=True)
class Limits:
    """One scope's limits; `None` = inherited from a wider scope (or not limited at all)."""

    max_order_quantity: Decimal | None = None  # base units per order
    max_order_notional: Decimal | None = None  # quote units per order (quantity x price)
    max_open_notional: Decimal | None = None  # quote units, the trader's open orders, both sides
    max_position: Decimal | None = None  # base units, |position| if every open order filled
    price_band: Decimal | None = None  # a fraction: 0.05 = a limit at most 5% through the touch
    orders_per_second: int | None = None  # accepted orders per trader per second (any instrument)

    def over(self, wider: Limits) -> Limits:
        """These limits where set, `wider`'s elsewhere."""
        mine = {f.name: getattr(self, f.name) for f in fields(self)}
        return replace(wider, **{name: value for name, value in mine.items() if value is not None})

    def as_dict(self) -> dict[str, str | None]:
        """Each limit as text (None when not set): what the audit log and the admin show."""
        return {name: _text(getattr(self, name)) for name in LIMIT_NAMES}


LIMIT_NAMES = tuple(f.name for f in fields(Limits))
# The request field each limit is reported on (the ticket shows the message under it).
LIMIT_FIELD = {
    "max_order_quantity": "quantity",
    "max_order_notional": "quantity",
    "max_open_notional": "quantity",
    "max_position": "quantity",
    "price_band": "limit_price",
    "orders_per_second": "non_field_errors",
}


def resolve(scopes: list[Limits | None]) -> Limits:
    """The effective limits from the narrowest scope to the widest (missing scopes skipped)."""
    effective = Limits()
    for limits in reversed(scopes):
        if limits is not None:
            effective = limits.over(effective)
    return effective


@dataclass(frozen=True)
class Exposure:
    """What the trader already has in one instrument: position, and open orders by side."""

    position: Decimal = Decimal(0)  # signed: long > 0
    open_buy_quantity: Decimal = Decimal(0)
    open_sell_quantity: Decimal = Decimal(0)
    open_notional: Decimal = Decimal(0)  # both sides, remaining x price


@dataclass(frozen=True)
class ProposedOrder:
    """The order as checked: `price` is its limit, or a market order's protective price."""

    side: Side
    quantity: Decimal
    price: Decimal
    is_limit: bool
    base: str
    quote: str
    price_tick: Decimal


def order_exposure(order: Order) -> tuple[Decimal, Decimal]:
    """(open quantity, open notional) an order adds to its side; zero once it has ended."""
    if order.ended:
        return Decimal(0), Decimal(0)
    price = order.limit_price if order.limit_price is not None else order.protect_price
    remaining = order.remaining_quantity
    return remaining, remaining * price


def exposure_minor(order: Order) -> tuple[int, int]:
    """`order_exposure` in 1e-8 minor units (rounded up), as the store's counters keep it."""
    quantity, notional = order_exposure(order)
    return to_minor_ceiling(quantity), to_minor_ceiling(notional)


def reference_price(side: Side, bids: list[Decimal], asks: list[Decimal]) -> Decimal | None:
    """The last venue price an order is banded around: the touch it would trade against (best
    ask for a buy, best bid for a sell), else the other side's touch, else None (no price)."""
    near, far = (asks, bids) if side is Side.BUY else (bids, asks)
    if near:
        return min(near) if side is Side.BUY else max(near)
    if far:
        return max(far) if side is Side.BUY else min(far)
    return None


def check_order(
    order: ProposedOrder,
    limits: Limits,
    exposure: Exposure,
    reference: Decimal | None,
    accepted_this_second: int,
) -> None:
    """Raise RiskRefused for the first limit `order` would break; return if it passes all.

    Checked in this order: the order rate, the order's own size, its price, then what the
    trader would hold (open notional, worst-case position).
    """
    _check_rate(limits, accepted_this_second)
    _check_quantity(order, limits)
    _check_band(order, limits, reference)
    _check_notional(order, limits)
    _check_open_notional(order, limits, exposure)
    _check_position(order, limits, exposure)


def _refuse(limit: str, message: str) -> RiskRefused:
    return RiskRefused(f"{message} ({limit})", field=LIMIT_FIELD[limit], limit=limit)


def _check_rate(limits: Limits, accepted_this_second: int) -> None:
    cap = limits.orders_per_second
    if cap is not None and accepted_this_second >= cap:
        raise _refuse(
            "orders_per_second",
            f"{accepted_this_second} orders were already accepted this second: "
            f"the limit is {cap} per second, send it again in a moment",
        )


def _check_quantity(order: ProposedOrder, limits: Limits) -> None:
    cap = limits.max_order_quantity
    if cap is not None and order.quantity > cap:
        raise _refuse(
            "max_order_quantity",
            f"quantity {_text(order.quantity)} is over the limit {_text(cap)} {order.base} "
            "per order",
        )


def _check_band(order: ProposedOrder, limits: Limits, reference: Decimal | None) -> None:
    # Only the aggressive side is banded: a buy far below the market (or a sell far above)
    # cannot trade through it, it rests; a market order's protective price is its own collar.
    band = limits.price_band
    if band is None or reference is None or not order.is_limit:
        return
    if order.side is Side.BUY:
        bound = _on_tick(reference * (1 + band), order.price_tick, ROUND_FLOOR)
        if order.price > bound:
            raise _refuse(
                "price_band",
                f"limit_price {_text(order.price)} is more than {_percent(band)} above the "
                f"last venue price {_text(reference)}: at most {_text(bound)}",
            )
    else:
        bound = _on_tick(reference * (1 - band), order.price_tick, ROUND_CEILING)
        if order.price < bound:
            raise _refuse(
                "price_band",
                f"limit_price {_text(order.price)} is more than {_percent(band)} below the "
                f"last venue price {_text(reference)}: at least {_text(bound)}",
            )


def _check_notional(order: ProposedOrder, limits: Limits) -> None:
    notional = order.quantity * order.price
    cap = limits.max_order_notional
    if notional >= MAX_AMOUNT:  # a hard bound, whatever the limits: the counters stay int64
        raise _refuse(
            "max_order_notional",
            f"notional {_money(notional)} {order.quote} must be less than {_money(MAX_AMOUNT)}",
        )
    if cap is not None and notional > cap:
        raise _refuse(
            "max_order_notional",
            f"notional {_money(notional)} {order.quote} ({_text(order.quantity)} x "
            f"{_text(order.price)}) is over the limit {_money(cap)} {order.quote} per order",
        )


def _check_open_notional(order: ProposedOrder, limits: Limits, exposure: Exposure) -> None:
    cap = limits.max_open_notional
    total = exposure.open_notional + order.quantity * order.price
    if cap is not None and total > cap:
        raise _refuse(
            "max_open_notional",
            f"open orders would reach {_money(total)} {order.quote} (now "
            f"{_money(exposure.open_notional)}), over the limit {_money(cap)} {order.quote}",
        )


def _check_position(order: ProposedOrder, limits: Limits, exposure: Exposure) -> None:
    cap = limits.max_position
    if cap is None:
        return
    # Worst case: this order and every open order on its side fill. An order that brings the
    # worst case closer to flat always passes (a trader over a lowered limit can reduce).
    if order.side is Side.BUY:
        before = exposure.position + exposure.open_buy_quantity
        worst = before + order.quantity
    else:
        before = exposure.position - exposure.open_sell_quantity
        worst = before - order.quantity
    if abs(worst) > cap and abs(worst) > abs(before):
        raise _refuse(
            "max_position",
            f"position would reach {_text(worst)} {order.base} if this order and the open "
            f"ones filled, over the limit {_text(cap)} {order.base}",
        )


def _on_tick(value: Decimal, tick: Decimal, rounding: str) -> Decimal:
    return (value / tick).to_integral_value(rounding=rounding) * tick


def _text(value: Decimal | int | None) -> str | None:
    if value is None:
        return None
    return str(value) if isinstance(value, int) else display(value)


def _money(value: Decimal) -> str:
    """Thousands separated, no exponent, trailing zeros dropped: 250,000 or 1,234.5."""
    text = format(normalized(value), ",f")
    return text


def _percent(fraction: Decimal) -> str:
    return f"{display(fraction * 100)}%"
