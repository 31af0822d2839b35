"""The platform's trading volume, for unit costs (cost per 1,000 orders, per fill).

Today the counts come from `TradingVolume` (one row per UTC day), which the back-office
projector will fill from `evt.trading.*` (or which an operator fills by hand in the admin);
when the projector's read models of orders and fills exist, this function reads them instead
and nothing else changes.
"""

from __future__ import annotations

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
