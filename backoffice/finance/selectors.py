"""Finance's reads: every figure of the cost dashboard and its CSV, from the cost records.

- run rate: an environment's average cost per day over the last 30 days (days with cost rows),
  per category; its month is that x 30, as in the seed's table;
- budget: this month's actual so far, and a month-end forecast (`figures.budget_status`);
- unit cost: Prod's cost over the 30 days per 1,000 orders and per fill of the same days.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from backoffice.finance import figures
from backoffice.finance.models import CostRecord, Environment
from backoffice.finance.volume import trading_volume
from infra.environments import (
    CATEGORIES,
    DAYS_PER_MONTH,
    STACK,
    CostCategory,
    EnvironmentSpec,
    StackLayer,
    by_name,
)

WINDOW_DAYS = 30
PROD = "Prod"  # unit costs are the cost of the environment that serves the trading volume


@dataclass(frozen=True, slots=True)
class Window:
    day_from: date
    day_to: date

    @classmethod
    def ending(cls, day_to: date, days: int = WINDOW_DAYS) -> Window:
        return cls(day_to - timedelta(days=days - 1), day_to)

    @property
    def days(self) -> tuple[date, ...]:
        count = (self.day_to - self.day_from).days + 1
        return tuple(self.day_from + timedelta(days=i) for i in range(count))


@dataclass(frozen=True, slots=True)
class EnvironmentCosts:
    name: str
    tag: str
    spec: EnvironmentSpec | None  # the seed's card (meta, services, lanes), if it has one
    by_category: tuple[tuple[CostCategory, Decimal], ...]  # run rate per day, per category
    days_with_costs: int  # in the window
    trend: tuple[Decimal | None, ...]  # the total of each day of the window; None: no rows
    budget: figures.BudgetStatus

    @property
    def slug(self) -> str:
        return self.spec.slug if self.spec else "".join(c for c in self.name.lower() if c.isalnum())

    @property
    def daily(self) -> Decimal:
        return sum((cost for _, cost in self.by_category), Decimal(0))

    @property
    def monthly(self) -> Decimal:
        return self.daily * DAYS_PER_MONTH

    @property
    def has_costs(self) -> bool:
        return self.days_with_costs > 0


@dataclass(frozen=True, slots=True)
class UnitCosts:
    environment: str
    cost: Decimal  # the environment's cost over the window
    orders: int
    fills: int
    per_1000_orders: Decimal | None  # None: no orders yet
    per_fill: Decimal | None  # None: no fills yet

    @property
    def has_volume(self) -> bool:
        return self.orders > 0 or self.fills > 0


@dataclass(frozen=True, slots=True)
class Dashboard:
    today: date
    window: Window
    month_start: date
    month_days: int
    environments: tuple[EnvironmentCosts, ...]
    unit_costs: UnitCosts
    stack: tuple[StackLayer, ...]

    @property
    def daily_total(self) -> Decimal:
        return sum((env.daily for env in self.environments), Decimal(0))

    @property
    def monthly_total(self) -> Decimal:
        return self.daily_total * DAYS_PER_MONTH

    @property
    def budget_total(self) -> Decimal:
        return sum((env.budget.budget for env in self.environments), Decimal(0))

    @property
    def forecast_total(self) -> Decimal:
        return sum((env.budget.forecast for env in self.environments), Decimal(0))

    @property
    def month_to_date_total(self) -> Decimal:
        return sum((env.budget.month_to_date for env in self.environments), Decimal(0))

    @property
    def over_budget(self) -> tuple[EnvironmentCosts, ...]:
        return tuple(env for env in self.environments if env.budget.over_budget)

    @property
    def has_costs(self) -> bool:
        return any(env.has_costs for env in self.environments)

    def category_totals(self) -> tuple[tuple[CostCategory, Decimal], ...]:
        """Run rate per day of each category, summed over the environments."""
        return tuple(
            (
                category,
                sum((dict(env.by_category)[category] for env in self.environments), Decimal(0)),
            )
            for category in CATEGORIES
        )


def dashboard(*, today: date, window: Window | None = None) -> Dashboard:
    """Every figure of the finance dashboard as of `today` (UTC), over `window` (default: the
    last 30 days); the budget figures are always this month's."""
    window = window or Window.ending(today)
    if window.day_to > today:
        raise ValueError(f"the window ends after today ({today})")
    month_start = today.replace(day=1)
    month_days = figures.days_in_month(today)
    # (environment id) -> day -> category -> cost, for the window and this month so far
    costs: dict[int, dict[date, dict[str, Decimal]]] = defaultdict(lambda: defaultdict(dict))
    rows = CostRecord.objects.filter(
        charge_period_start__range=(min(window.day_from, month_start), today)
    ).values_list("environment_id", "charge_period_start", "service_category", "billed_cost")
    for env_id, day, category, cost in rows:
        costs[env_id][day][category] = cost
    environments = tuple(
        _environment_costs(env, costs[env.pk], window, month_start, month_days)
        for env in Environment.objects.all()
    )
    return Dashboard(
        today=today,
        window=window,
        month_start=month_start,
        month_days=month_days,
        environments=environments,
        unit_costs=_unit_costs(environments, window),
        stack=STACK,
    )


def _environment_costs(
    env: Environment,
    days: dict[date, dict[str, Decimal]],
    window: Window,
    month_start: date,
    month_days: int,
) -> EnvironmentCosts:
    in_window = {
        day: by_cat for day, by_cat in days.items() if window.day_from <= day <= window.day_to
    }
    by_category = tuple(
        (
            category,
            figures.average_daily(
                sum(
                    (by_cat.get(category, Decimal(0)) for by_cat in in_window.values()), Decimal(0)
                ),
                len(in_window),
            ),
        )
        for category in CATEGORIES
    )
    in_month = {day: by_cat for day, by_cat in days.items() if day >= month_start}
    month_to_date = sum(
        (sum(by_cat.values(), Decimal(0)) for by_cat in in_month.values()), Decimal(0)
    )
    run_rate = sum((cost for _, cost in by_category), Decimal(0))
    return EnvironmentCosts(
        name=env.name,
        tag=env.tag,
        spec=by_name(env.name),
        by_category=by_category,
        days_with_costs=len(in_window),
        trend=tuple(
            sum(in_window[day].values(), Decimal(0)) if day in in_window else None
            for day in window.days
        ),
        budget=figures.budget_status(
            budget=env.monthly_budget,
            month_to_date=month_to_date,
            days_with_costs=len(in_month),
            month_days=month_days,
            fallback_daily=run_rate,
        ),
    )


def _unit_costs(environments: tuple[EnvironmentCosts, ...], window: Window) -> UnitCosts:
    prod = next((env for env in environments if env.name == PROD), None)
    cost = sum((day for day in prod.trend if day is not None), Decimal(0)) if prod else Decimal(0)
    orders, fills = trading_volume(window.day_from, window.day_to)
    return UnitCosts(
        environment=PROD,
        cost=cost,
        orders=orders,
        fills=fills,
        per_1000_orders=figures.unit_cost(cost, orders, per=1000),
        per_fill=figures.unit_cost(cost, fills),
    )


def breakdown_rows(board: Dashboard) -> list[list[str]]:
    """The cost breakdown as CSV rows (header first): the seed's table, from the records."""
    header = [
        "Environment",
        "Tag",
        *(f"{category.value}PerDay" for category in CATEGORIES),
        "TotalPerDay",
        "TotalPerMonth",
        "MonthlyBudget",
        "MonthToDate",
        "MonthEndForecast",
        "OverBudget",
        "BillingCurrency",
        "WindowStart",
        "WindowEnd",
    ]
    rows = [header]
    for env in board.environments:
        rows.append(
            [
                env.name,
                env.tag,
                *(_cents(cost) for _, cost in env.by_category),
                _cents(env.daily),
                _cents(env.monthly),
                _cents(env.budget.budget),
                _cents(env.budget.month_to_date),
                _cents(env.budget.forecast),
                "yes" if env.budget.over_budget else "no",
                "USD",
                board.window.day_from.isoformat(),
                board.window.day_to.isoformat(),
            ]
        )
    return rows


def _cents(amount: Decimal) -> str:
    return str(figures.cents(amount))


def records(*, window: Window, environment: str = "", category: str = "") -> list[CostRecord]:
    """The cost records behind a figure: one environment and/or category over the window."""
    found = CostRecord.objects.filter(
        charge_period_start__range=(window.day_from, window.day_to)
    ).select_related("environment")
    if environment:
        found = found.filter(environment__name=environment)
    if category:
        found = found.filter(service_category=category)
    return list(found.order_by("-charge_period_start", "environment__position", "service_category"))
