"""The seed's environments as data: totals per day and per month, the stack, the lanes."""

from decimal import Decimal

import pytest

from backoffice.finance.formatting import compact_usd
from infra.environments import (
    CATEGORIES,
    DAYS_PER_MONTH,
    ENVIRONMENTS,
    STACK,
    CostCategory,
    by_name,
)

SEED_TABLE = {  # the seed's "Cost breakdown by environment" table, row by row
    "Test": ((14, 9, 5, 10), 38, "$1.14k"),
    "Dev": ((28, 18, 8, 20), 74, "$2.22k"),
    "Staging": ((62, 42, 18, 34), 156, "$4.68k"),
    "Prod": ((180, 120, 60, 60), 420, "$12.6k"),
}


def test_four_environments_in_the_seed_order():
    assert [spec.name for spec in ENVIRONMENTS] == ["Test", "Dev", "Staging", "Prod"]
    assert [spec.tag for spec in ENVIRONMENTS] == ["Low Risk", "Shared", "Prod-like", "Critical"]


def test_categories_in_the_seed_tables_order():
    assert [c.value for c in CATEGORIES] == ["Compute", "Data", "Network", "Observability"]


@pytest.mark.parametrize(("name", "row"), SEED_TABLE.items())
def test_daily_cost_per_category_and_totals_match_the_seed(name, row):
    categories, daily, monthly = row
    spec = by_name(name)
    assert spec is not None
    assert tuple(cost for _, cost in spec.daily_cost.by_category()) == tuple(
        Decimal(c) for c in categories
    )
    assert spec.daily_total == Decimal(daily)
    assert spec.monthly_total == Decimal(daily) * 30
    assert compact_usd(spec.daily_total) == f"${daily}"
    assert compact_usd(spec.monthly_total) == monthly


def test_money_is_decimal_never_float():
    for spec in ENVIRONMENTS:
        for _, cost in spec.daily_cost.by_category():
            assert type(cost) is Decimal
        assert type(spec.monthly_total) is Decimal


def test_a_month_is_thirty_days():
    assert DAYS_PER_MONTH == 30


def test_cards_footprint_and_lanes():
    test, dev, staging, prod = ENVIRONMENTS
    assert test.meta == "Smaller footprint · short-lived data"
    assert test.services == ("2x t3.medium", "RDS micro", "S3 + CDN", "Basic logs")
    assert test.lanes == ("1 AZ", "No DR", "Ephemeral data")
    assert dev.lanes == ("2 AZ", "Nightly snapshots", "Shared tooling")
    assert staging.services[2] == "Kafka cluster"
    assert prod.services == ("24x m6i.xlarge", "Aurora multi-AZ", "Private link", "24/7 on-call")
    assert prod.lanes == ("3 AZ", "DR ready", "24/7 on-call")


def test_the_stack_has_four_layers_of_four_parts():
    assert [layer.name for layer in STACK] == ["Network", "Compute", "Data", "Observability"]
    assert all(len(layer.parts) == 4 and layer.description for layer in STACK)
    assert STACK[2].parts == ("Aurora / RDS", "Redis", "S3 + CDN", "Kafka / MSK")


def test_specs_are_frozen():
    with pytest.raises(AttributeError):
        ENVIRONMENTS[0].name = "Other"


def test_by_name_ignores_case_and_knows_no_others():
    assert by_name(" prod ") is ENVIRONMENTS[3]
    assert by_name("QA") is None


def test_daily_cost_of_one_category():
    assert ENVIRONMENTS[3].daily_cost.of(CostCategory.DATA) == Decimal(120)
