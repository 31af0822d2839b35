"""Environment costs in the shape of FinOps FOCUS, one row per day, environment and category.

Field names follow FOCUS's columns: `charge_period_start` (ChargePeriodStart, the day),
`service_category` (ServiceCategory, mapped onto the seed's four categories), `billed_cost`
(BilledCost) and `billing_currency` (BillingCurrency). The environment is what FOCUS carries in
`Tags` (env=Prod).
"""

from __future__ import annotations

from django.db import models

from infra.environments import CATEGORIES

CURRENCY = "USD"


class ServiceCategory(models.TextChoices):
    COMPUTE = CATEGORIES[0].value
    DATA = CATEGORIES[1].value
    NETWORK = CATEGORIES[2].value
    OBSERVABILITY = CATEGORIES[3].value


class Environment(models.Model):
    """One environment the platform runs in, with its monthly budget in USD."""

    name = models.CharField(max_length=32, unique=True)
    tag = models.CharField(max_length=32, blank=True)
    monthly_budget = models.DecimalField(max_digits=14, decimal_places=2)
    position = models.PositiveSmallIntegerField(default=0, help_text="Order on the dashboard")

    class Meta:
        ordering = ["position", "name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(monthly_budget__gte=0), name="finance_budget_not_negative"
            )
        ]

    def __str__(self) -> str:
        return self.name


class CostRecord(models.Model):
    """What one environment was billed for one category on one day (UTC)."""

    charge_period_start = models.DateField("charge period start (day)", db_index=True)
    environment = models.ForeignKey(Environment, on_delete=models.PROTECT, related_name="costs")
    service_category = models.CharField(max_length=32, choices=ServiceCategory.choices)
    billed_cost = models.DecimalField(max_digits=18, decimal_places=6)
    billing_currency = models.CharField(max_length=3, default=CURRENCY)
    source = models.CharField(max_length=200, blank=True, help_text="seed, or the imported file")

    class Meta:
        ordering = ["-charge_period_start", "environment__position", "service_category"]
        constraints = [
            models.UniqueConstraint(
                fields=["charge_period_start", "environment", "service_category"],
                name="finance_cost_one_per_day_environment_category",
            ),
            models.CheckConstraint(
                condition=models.Q(billed_cost__gte=0), name="finance_cost_not_negative"
            ),
            models.CheckConstraint(
                condition=models.Q(billing_currency=CURRENCY), name="finance_cost_in_usd"
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.charge_period_start} {self.environment} {self.service_category} "
            f"{self.billed_cost} {self.billing_currency}"
        )


class TradingVolume(models.Model):
    """Orders and fills of one day (UTC), for unit costs; the back-office projector fills it."""

    day = models.DateField(unique=True)
    orders = models.PositiveBigIntegerField(default=0)
    fills = models.PositiveBigIntegerField(default=0)

    class Meta:
        ordering = ["-day"]

    def __str__(self) -> str:
        return f"{self.day}: {self.orders} orders, {self.fills} fills"
