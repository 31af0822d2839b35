"""seed_finance: the four environments, their budgets and 30 days of costs, idempotently."""

from datetime import date, timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Sum

from backoffice.finance import services
from backoffice.finance.models import CostRecord, Environment

pytestmark = pytest.mark.django_db
TODAY = date(2026, 11, 25)


def seed() -> str:
    out = StringIO()
    call_command("seed_finance", stdout=out)
    return out.getvalue()


def test_seed_finance_creates_environments_budgets_and_30_days_of_costs():
    assert "4 environments and 480 cost records added" in seed()
    envs = list(Environment.objects.values_list("name", "tag", "monthly_budget"))
    assert envs == [
        ("Test", "Low Risk", Decimal("1200.00")),
        ("Dev", "Shared", Decimal("2000.00")),
        ("Staging", "Prod-like", Decimal("5000.00")),
        ("Prod", "Critical", Decimal("13500.00")),
    ]
    assert CostRecord.objects.values("charge_period_start").distinct().count() == 30
    prod_day = CostRecord.objects.filter(
        environment__name="Prod",
        charge_period_start=CostRecord.objects.latest("charge_period_start").charge_period_start,
    )
    assert prod_day.aggregate(total=Sum("billed_cost"))["total"] == Decimal(420)


def test_seed_finance_twice_adds_nothing_and_keeps_changed_budgets():
    seed()
    Environment.objects.filter(name="Dev").update(monthly_budget=Decimal("2500"))
    assert "0 environments and 0 cost records added" in seed()
    assert Environment.objects.count() == 4
    assert CostRecord.objects.count() == 480
    assert Environment.objects.get(name="Dev").monthly_budget == Decimal("2500")


def test_seed_costs_covers_the_last_days_up_to_today_and_never_overwrites():
    assert services.seed_costs(days=30, today=TODAY) == 480
    days = CostRecord.objects.values_list("charge_period_start", flat=True)
    assert min(days) == TODAY - timedelta(days=29) and max(days) == TODAY
    row = CostRecord.objects.get(
        charge_period_start=TODAY, environment__name="Prod", service_category="Compute"
    )
    row.billed_cost = Decimal("199.99")  # as an import would have corrected it
    row.save()
    assert services.seed_costs(days=31, today=TODAY) == 16  # one more day, 4 x 4
    row.refresh_from_db()
    assert row.billed_cost == Decimal("199.99")


def test_seed_costs_refuses_silly_windows():
    with pytest.raises(ValueError):
        services.seed_costs(days=0, today=TODAY)
