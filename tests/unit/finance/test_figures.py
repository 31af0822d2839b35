"""Forecasts, budgets and unit costs: Decimal arithmetic with its edges."""

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from backoffice.finance.figures import (
    average_daily,
    budget_status,
    days_in_month,
    month_end_forecast,
    unit_cost,
)

money = st.decimals(min_value=0, max_value=Decimal("1e9"), places=2, allow_nan=False)


def test_forecast_is_actual_plus_daily_for_each_open_day():
    # 25 days of Dev at $74 in a 30-day month: 1,850 + 5 x 74
    assert month_end_forecast(
        month_to_date=Decimal(1850), daily=Decimal(74), remaining_days=5
    ) == Decimal(2220)


def test_forecast_refuses_negative_open_days():
    with pytest.raises(ValueError):
        month_end_forecast(month_to_date=Decimal(0), daily=Decimal(1), remaining_days=-1)


def test_dev_at_the_seeds_pace_ends_over_its_budget():
    status = budget_status(
        budget=Decimal(2000), month_to_date=Decimal(1850), days_with_costs=25, month_days=30
    )
    assert status.daily == Decimal(74)
    assert status.remaining_days == 5
    assert status.forecast == Decimal(2220)
    assert status.over_budget
    assert not status.already_over
    assert status.overrun == Decimal(220)
    assert status.forecast_share == Decimal("1.11")


def test_test_env_stays_within_budget_even_in_a_31_day_month():
    status = budget_status(
        budget=Decimal(1200), month_to_date=Decimal(38), days_with_costs=1, month_days=31
    )
    assert status.forecast == Decimal(38 * 31)
    assert not status.over_budget
    assert status.overrun == 0


def test_exactly_on_budget_is_not_over():
    status = budget_status(
        budget=Decimal(300), month_to_date=Decimal(100), days_with_costs=10, month_days=30
    )
    assert status.forecast == Decimal(300)
    assert not status.over_budget


def test_before_any_cost_of_the_month_the_run_rate_is_the_pace():
    status = budget_status(
        budget=Decimal(13500),
        month_to_date=Decimal(0),
        days_with_costs=0,
        month_days=30,
        fallback_daily=Decimal(420),
    )
    assert status.daily == Decimal(420)
    assert status.forecast == Decimal(12600)


def test_already_over_before_month_end():
    status = budget_status(
        budget=Decimal(100), month_to_date=Decimal(150), days_with_costs=10, month_days=30
    )
    assert status.already_over and status.over_budget


def test_a_zero_budget_has_no_share():
    status = budget_status(
        budget=Decimal(0), month_to_date=Decimal(0), days_with_costs=0, month_days=30
    )
    assert status.forecast_share == 0
    assert not status.over_budget


def test_days_with_costs_beyond_the_month_are_refused():
    with pytest.raises(ValueError):
        budget_status(
            budget=Decimal(1), month_to_date=Decimal(0), days_with_costs=31, month_days=30
        )


@given(month_to_date=money, days=st.integers(1, 31), month_days=st.sampled_from([28, 29, 30, 31]))
def test_forecast_is_the_month_at_its_average_pace(month_to_date, days, month_days):
    days = min(days, month_days)
    status = budget_status(
        budget=Decimal(1000),
        month_to_date=month_to_date,
        days_with_costs=days,
        month_days=month_days,
    )
    assert status.forecast >= month_to_date
    assert abs(status.forecast - month_to_date / days * month_days) < Decimal("1e-15")
    assert status.over_budget == (status.forecast > Decimal(1000))


def test_average_daily_of_no_days_is_zero():
    assert average_daily(Decimal(100), 0) == 0
    assert average_daily(Decimal(100), 4) == Decimal(25)


def test_days_in_month():
    assert days_in_month(date(2026, 2, 10)) == 28
    assert days_in_month(date(2028, 2, 10)) == 29
    assert days_in_month(date(2026, 11, 25)) == 30


def test_unit_cost_per_thousand_orders_and_per_fill():
    cost = Decimal(12600)  # Prod, 30 days
    assert unit_cost(cost, 90_000, per=1000) == Decimal("140")
    assert unit_cost(cost, 300_000) == Decimal("0.042")
    assert unit_cost(Decimal(1), 3) == Decimal("0.333333")


def test_unit_cost_without_volume_is_none_never_a_division_by_zero():
    assert unit_cost(Decimal(12600), 0, per=1000) is None
    assert unit_cost(Decimal(0), 0) is None


def test_unit_cost_refuses_nonsense_counts():
    with pytest.raises(ValueError):
        unit_cost(Decimal(1), -1)
    with pytest.raises(ValueError):
        unit_cost(Decimal(1), 1, per=0)


@given(cost=money, count=st.integers(1, 10**9))
def test_unit_cost_times_count_gives_back_the_cost(cost, count):
    per_unit = unit_cost(cost, count)
    assert per_unit is not None
    assert abs(per_unit * count - cost) <= Decimal("0.0000005") * count
