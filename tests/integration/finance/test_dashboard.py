"""/finance/ and /finance/costs.csv: who may see them, and the figures they show."""

import csv
import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from backoffice.finance import selectors, services
from backoffice.finance.models import CostRecord, TradingVolume
from backoffice.finance.volume import trading_volume
from kernel import roles
from tests.integration.finance.factories import UserFactory, finance_user

pytestmark = pytest.mark.django_db
TODAY = date(2026, 11, 25)


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def seeded():
    services.seed_costs(days=30)


# --- access ----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/finance/", "/finance/costs.csv"])
def test_anonymous_is_sent_to_login(path):
    answer = Client().get(path)
    assert answer.status_code == 302
    assert answer["Location"] == f"/login?next={path}"


@pytest.mark.parametrize("path", ["/finance/", "/finance/costs.csv"])
@pytest.mark.parametrize("role", [None, roles.STAFF, roles.OPS, roles.TRADER])
def test_a_user_without_the_finance_role_gets_403(path, role):
    user = UserFactory(roles=[role] if role else [], is_staff=role == roles.STAFF)
    assert signed_in(user).get(path).status_code == 403


@pytest.mark.parametrize("path", ["/finance/", "/finance/costs.csv"])
def test_finance_and_superusers_get_in(seeded, path):
    assert signed_in(finance_user()).get(path).status_code == 200
    admin = User.objects.create_superuser("root", password="x-very-secret")
    assert signed_in(admin).get(path).status_code == 200


def test_the_dashboard_only_reads():
    assert signed_in(finance_user()).post("/finance/").status_code == 405


# --- the page --------------------------------------------------------------------------------


def test_the_dashboard_shows_the_seed_cards_budgets_and_charts(seeded):
    page = signed_in(finance_user()).get("/finance/")
    html = page.content.decode()
    for daily, monthly in [
        ("$38/day", "$1.14k/month"),
        ("$74/day", "$2.22k/month"),
        ("$156/day", "$4.68k/month"),
        ("$420/day", "$12.6k/month"),
    ]:
        assert f'<span class="cost-chip cost-daily">{daily}</span>' in html
        assert f'<span class="cost-chip cost-monthly">{monthly}</span>' in html
    for text in ("Low Risk", "Shared", "Prod-like", "Critical", "24x m6i.xlarge", "DR ready"):
        assert text in html
    assert html.count('data-flag="over-budget"') == 1  # Dev
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-bars"' in html
    assert html.count('class="segment segment-') == 16
    assert html.count('class="trend-line"') == 4
    assert "No trading volume yet" in html
    assert "https://" not in html and "http://cdn" not in html  # every asset is local
    assert page.context["board"].unit_costs.per_1000_orders is None


def test_an_empty_database_shows_how_to_seed():
    html = signed_in(finance_user()).get("/finance/").content.decode()
    assert "No environments yet" in html and "seed_finance" in html


def test_environments_without_costs_show_no_chart():
    services.environments_seed()
    html = signed_in(finance_user()).get("/finance/").content.decode()
    assert html.count("no costs yet") == 4
    assert "<svg xmlns" not in html


def test_unit_costs_from_trading_volume(seeded):
    today = timezone.localdate()
    TradingVolume.objects.create(day=today, orders=60_000, fills=200_000)
    TradingVolume.objects.create(day=today - timedelta(days=29), orders=30_000, fills=100_000)
    TradingVolume.objects.create(day=today - timedelta(days=30), orders=99_999, fills=1)  # outside
    board = signed_in(finance_user()).get("/finance/").context["board"]
    unit = board.unit_costs
    assert (unit.cost, unit.orders, unit.fills) == (Decimal(12600), 90_000, 300_000)
    assert unit.per_1000_orders == Decimal(140)
    assert unit.per_fill == Decimal("0.042")


def test_trading_volume_sums_the_days_both_included():
    services.trading_volume_record(day=TODAY, orders=5, fills=9)
    services.trading_volume_record(day=TODAY, orders=7, fills=11)  # replaces the day
    services.trading_volume_record(day=TODAY - timedelta(days=1), orders=1, fills=2)
    assert trading_volume(TODAY - timedelta(days=1), TODAY) == (8, 13)
    assert trading_volume(TODAY + timedelta(days=1), TODAY + timedelta(days=9)) == (0, 0)
    with pytest.raises(ValueError):
        trading_volume(TODAY, TODAY - timedelta(days=1))


def test_trading_volume_add_counts_up():
    services.trading_volume_add(day=TODAY, orders=1)
    services.trading_volume_add(day=TODAY, orders=1, fills=2)
    services.trading_volume_add(day=TODAY, fills=1)
    assert trading_volume(TODAY, TODAY) == (2, 3)
    with pytest.raises(ValueError):
        services.trading_volume_add(day=TODAY, orders=-1)


# --- the figures -----------------------------------------------------------------------------


def test_selectors_budget_forecast_as_of_a_day():
    services.seed_costs(days=30, today=TODAY)  # 27 Oct .. 25 Nov
    board = selectors.dashboard(today=TODAY)
    by_name = {env.name: env for env in board.environments}
    dev = by_name["Dev"].budget
    assert (dev.month_to_date, dev.days_with_costs, dev.remaining_days) == (Decimal(1850), 25, 5)
    assert dev.forecast == Decimal(2220) and dev.over_budget
    prod = by_name["Prod"].budget
    assert prod.forecast == Decimal(12600) and not prod.over_budget
    assert [env.name for env in board.over_budget] == ["Dev"]
    assert board.daily_total == Decimal(688)
    assert board.monthly_total == Decimal(20640)
    assert dict(board.category_totals())["Compute"] == Decimal(284)


def test_run_rate_counts_days_with_costs_and_gaps_break_the_trend():
    services.seed_costs(days=10, today=TODAY)
    CostRecord.objects.filter(charge_period_start=TODAY - timedelta(days=3)).delete()
    board = selectors.dashboard(today=TODAY)
    test = board.environments[0]
    assert test.name == "Test"
    assert test.days_with_costs == 9
    assert test.daily == Decimal(38)  # the average of the days that have a bill
    assert test.trend[-4] is None and test.trend[-1] == Decimal(38) and test.trend[0] is None
    # 9 November days have a bill; the other 21 are forecast at the month's pace
    assert test.budget.remaining_days == 21
    assert test.budget.forecast == Decimal(38 * 30)


def test_forecast_early_in_the_month_uses_the_run_rate():
    services.seed_costs(days=30, today=date(2026, 11, 30))
    board = selectors.dashboard(today=date(2026, 12, 1))  # no December bill yet
    prod = next(env for env in board.environments if env.name == "Prod")
    assert prod.budget.month_to_date == 0
    assert prod.budget.forecast == Decimal(420 * 31)


# --- the CSV ---------------------------------------------------------------------------------


def test_the_csv_download_is_the_cost_breakdown(seeded):
    answer = signed_in(finance_user()).get("/finance/costs.csv")
    assert answer["Content-Type"] == "text/csv; charset=utf-8"
    today = timezone.localdate()
    assert answer["Content-Disposition"] == (
        f'attachment; filename="environment-costs-{today.isoformat()}.csv"'
    )
    rows = list(csv.reader(io.StringIO(answer.content.decode())))
    assert rows[0][:9] == [
        "Environment",
        "Tag",
        "ComputePerDay",
        "DataPerDay",
        "NetworkPerDay",
        "ObservabilityPerDay",
        "TotalPerDay",
        "TotalPerMonth",
        "MonthlyBudget",
    ]
    table = {row[0]: row for row in rows[1:]}
    assert list(table) == ["Test", "Dev", "Staging", "Prod"]
    assert table["Test"][2:8] == ["14.00", "9.00", "5.00", "10.00", "38.00", "1140.00"]
    assert table["Prod"][6:9] == ["420.00", "12600.00", "13500.00"]
    assert table["Dev"][rows[0].index("OverBudget")] == "yes"
    assert table["Prod"][rows[0].index("OverBudget")] == "no"
    assert table["Prod"][rows[0].index("WindowEnd")] == today.isoformat()


def test_csv_cells_never_start_a_formula():
    from backoffice.finance.models import Environment

    Environment.objects.create(name="=cmd|' /C calc'!A0", tag="-x", monthly_budget=1)
    rows = list(
        csv.reader(
            io.StringIO(signed_in(finance_user()).get("/finance/costs.csv").content.decode())
        )
    )
    assert rows[1][0].startswith("'=") and rows[1][1] == "'-x"
