"""The four environments of the seed (Test, Dev, Staging, Prod) as plain typed data.

No Django here: the finance dashboard, `seed_finance` and the deployment docs read the same
figures. Money is `Decimal`; a month is `DAYS_PER_MONTH` days, as in the seed's cost table.
"""

from infra.environments.specs import (
    CATEGORIES,
    DAYS_PER_MONTH,
    ENVIRONMENTS,
    STACK,
    CostCategory,
    DailyCost,
    EnvironmentSpec,
    StackLayer,
    by_name,
)

__all__ = [
    "CATEGORIES",
    "DAYS_PER_MONTH",
    "ENVIRONMENTS",
    "STACK",
    "CostCategory",
    "DailyCost",
    "EnvironmentSpec",
    "StackLayer",
    "by_name",
]
