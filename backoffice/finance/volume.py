"""The platform's trading volume, for unit costs (cost per 1,000 orders, per fill).

The counts are `TradingVolume` rows (one per UTC day), which the back-office projector fills
from the platform's own events (`evt.trading.order.v1`, `evt.trading.fill.v1`): an order on
the day it was accepted, a fill on the day trading-core booked it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import date

from django.db.models import Sum

from backoffice.finance.models import TradingVolume


def trading_volume(day_from: date, day_to: date) -> tuple[int, int]:
    """(orders, fills) of the UTC days `day_from`..`day_to`, both included."""
    if day_to < day_from:
        raise ValueError(f"{day_to} is before {day_from}")
    sums = TradingVolume.objects.filter(day__range=(day_from, day_to)).aggregate(
        orders=Sum("orders"), fills=Sum("fills")
    )
    return int(sums["orders"] or 0), int(sums["fills"] or 0)


def count_volume(orders: Iterable[date] = (), fills: Iterable[date] = ()) -> None:
    """Count new orders and fills on their UTC days: the projector calls it with the days of
    the read-model rows it just created, so each order and fill counts once (a rebuild empties
    the table before it projects everything again)."""
    from backoffice.finance.services import trading_volume_add

    new_orders, new_fills = Counter(orders), Counter(fills)
    for day in sorted(set(new_orders) | set(new_fills)):
        trading_volume_add(day=day, orders=new_orders[day], fills=new_fills[day])
