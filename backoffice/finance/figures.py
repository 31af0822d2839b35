"""The dashboard's arithmetic: run rates, month-end forecasts, budgets and unit costs.

Plain Decimal math, no Django; selectors feed it what they read from the database.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
UNIT_COST_PLACES = Decimal("0.000001")  # a fill can cost a fraction of a cent


def cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def days_in_month(day: date) -> int:
    return calendar.monthrange(day.year, day.month)[1]


def average_daily(total: Decimal, days: int) -> Decimal:
    """`total` spread over `days` days; zero when there is no day to spread it over."""
    if days <= 0:
        return Decimal(0)
    return total / days


def month_end_forecast(*, month_to_date: Decimal, daily: Decimal, remaining_days: int) -> Decimal:
    """What the month will have cost: the actual so far plus `daily` for each day still open."""
    if remaining_days < 0:
        raise ValueError(f"remaining_days must be >= 0, got {remaining_days}")
    return month_to_date + daily * remaining_days


@dataclass(frozen=True, slots=True)
class BudgetStatus:
    budget: Decimal
    month_to_date: Decimal
    daily: Decimal  # the pace the forecast assumes for the open days
    days_with_costs: int
    remaining_days: int
    forecast: Decimal

    @property
    def over_budget(self) -> bool:
        """The month is forecast to end above its budget (or already has)."""
        return self.forecast > self.budget

    @property
    def already_over(self) -> bool:
        return self.month_to_date > self.budget

    @property
    def forecast_share(self) -> Decimal:
        """forecast / budget (1 = on budget); zero for an environment without a budget."""
        return self.forecast / self.budget if self.budget > 0 else Decimal(0)

    @property
    def overrun(self) -> Decimal:
        """How far the forecast goes past the budget (zero when within it)."""
        return max(self.forecast - self.budget, Decimal(0))


def budget_status(
    *,
    budget: Decimal,
    month_to_date: Decimal,
    days_with_costs: int,
    month_days: int,
    fallback_daily: Decimal = Decimal(0),
) -> BudgetStatus:
    """A month's budget against its forecast.

    The open days are the month's days that have no cost rows yet (the rest of the month, and
    any day whose bill has not arrived); each is forecast at this month's average so far, or at
    `fallback_daily` (the trailing run rate) before the month has any cost at all.
    """
    if not 0 <= days_with_costs <= month_days:
        raise ValueError(f"days_with_costs {days_with_costs} outside 0..{month_days}")
    daily = average_daily(month_to_date, days_with_costs) if days_with_costs else fallback_daily
    remaining = month_days - days_with_costs
    return BudgetStatus(
        budget=budget,
        month_to_date=month_to_date,
        daily=daily,
        days_with_costs=days_with_costs,
        remaining_days=remaining,
        forecast=month_end_forecast(
            month_to_date=month_to_date, daily=daily, remaining_days=remaining
        ),
    )


def unit_cost(cost: Decimal, count: int, *, per: int = 1) -> Decimal | None:
    """Cost of `per` units when `count` units cost `cost`; None when nothing was counted.

    unit_cost(12600, 90000, per=1000) -> 140.000000 (USD per 1,000 orders).
    """
    if count < 0 or per <= 0:
        raise ValueError(f"count must be >= 0 and per > 0, got {count}, {per}")
    if count == 0:
        return None
    return (cost * per / count).quantize(UNIT_COST_PLACES, rounding=ROUND_HALF_UP)
