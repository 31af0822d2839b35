"""Funds an open order holds: spot only, so a buy holds quote currency and a sell the base asset.

The hold is a function of what is left to fill, so releasing on each fill is the difference
of two holds and the sum of releases always equals the first hold.
"""

from __future__ import annotations

from decimal import Decimal

from kernel.money import to_minor_ceiling
from trading.domain.instruments import Instrument
from trading.domain.orders import Order, Side


def hold_asset(order: Order, instrument: Instrument) -> str:
    return instrument.quote if order.side is Side.BUY else instrument.base


def hold_minor(order: Order, max_fee_rate: Decimal) -> int:
    """Minor units held for what is left of `order` (zero once it has ended)."""
    if order.ended:
        return 0
    left = order.remaining_quantity
    if order.side is Side.SELL:
        return to_minor_ceiling(left)
    return to_minor_ceiling(left * order.protect_price * (1 + max_fee_rate))
