"""The seed's environment cards, cost table, stack and lanes (seed/architecture-overview.md)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

DAYS_PER_MONTH = 30  # the seed's monthly column is 30 x the daily one ($38/day -> $1.14k)


class CostCategory(StrEnum):
    """The seed's four cost categories, in the order its table lists them."""

    COMPUTE = "Compute"
    DATA = "Data"
    NETWORK = "Network"
    OBSERVABILITY = "Observability"


CATEGORIES: tuple[CostCategory, ...] = tuple(CostCategory)


@dataclass(frozen=True, slots=True)
class DailyCost:
    """USD per day, one figure per category."""

    compute: Decimal
    data: Decimal
    network: Decimal
    observability: Decimal

    def by_category(self) -> tuple[tuple[CostCategory, Decimal], ...]:
        return (
            (CostCategory.COMPUTE, self.compute),
            (CostCategory.DATA, self.data),
            (CostCategory.NETWORK, self.network),
            (CostCategory.OBSERVABILITY, self.observability),
        )

    def of(self, category: CostCategory) -> Decimal:
        return dict(self.by_category())[category]

    @property
    def total(self) -> Decimal:
        return self.compute + self.data + self.network + self.observability

    @property
    def monthly_total(self) -> Decimal:
        return self.total * DAYS_PER_MONTH


@dataclass(frozen=True, slots=True)
class StackLayer:
    """One layer of the architecture stack every environment runs."""

    name: str
    description: str
    parts: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class EnvironmentSpec:
    """One environment card of the seed, with its lane and its daily cost."""

    name: str  # "Test"; also the name cost records and FOCUS files use
    slug: str  # "test": CSS classes, URLs, Kubernetes overlays
    tag: str  # "Low Risk"
    meta: str  # "Smaller footprint · short-lived data"
    services: tuple[str, ...]  # the footprint: "2x t3.medium", "RDS micro", ...
    lanes: tuple[str, ...]  # availability: "1 AZ", "No DR", "Ephemeral data"
    daily_cost: DailyCost

    @property
    def daily_total(self) -> Decimal:
        return self.daily_cost.total

    @property
    def monthly_total(self) -> Decimal:
        return self.daily_cost.monthly_total


def _usd(compute: int, data: int, network: int, observability: int) -> DailyCost:
    return DailyCost(Decimal(compute), Decimal(data), Decimal(network), Decimal(observability))


ENVIRONMENTS: tuple[EnvironmentSpec, ...] = (
    EnvironmentSpec(
        name="Test",
        slug="test",
        tag="Low Risk",
        meta="Smaller footprint · short-lived data",
        services=("2x t3.medium", "RDS micro", "S3 + CDN", "Basic logs"),
        lanes=("1 AZ", "No DR", "Ephemeral data"),
        daily_cost=_usd(14, 9, 5, 10),
    ),
    EnvironmentSpec(
        name="Dev",
        slug="dev",
        tag="Shared",
        meta="Shared services · CI-heavy",
        services=("4x t3.large", "RDS small", "Redis cache", "Logs + metrics"),
        lanes=("2 AZ", "Nightly snapshots", "Shared tooling"),
        daily_cost=_usd(28, 18, 8, 20),
    ),
    EnvironmentSpec(
        name="Staging",
        slug="staging",
        tag="Prod-like",
        meta="Prod-like · full monitoring",
        services=("8x m5.large", "RDS multi-AZ", "Kafka cluster", "Full tracing"),
        lanes=("2 AZ", "Prod parity", "Full tracing"),
        daily_cost=_usd(62, 42, 18, 34),
    ),
    EnvironmentSpec(
        name="Prod",
        slug="prod",
        tag="Critical",
        meta="High availability · multi-AZ",
        services=("24x m6i.xlarge", "Aurora multi-AZ", "Private link", "24/7 on-call"),
        lanes=("3 AZ", "DR ready", "24/7 on-call"),
        daily_cost=_usd(180, 120, 60, 60),
    ),
)

STACK: tuple[StackLayer, ...] = (
    StackLayer(
        name="Network",
        description="VPC, subnets, routing, ingress control",
        parts=("VPC + CIDR", "Private subnets", "NAT + egress", "WAF rules"),
    ),
    StackLayer(
        name="Compute",
        description="Autoscaling apps, containers, background jobs",
        parts=("ASG + ALB", "ECS services", "Batch workers", "Spot strategy"),
    ),
    StackLayer(
        name="Data",
        description="Managed storage, cache, and streaming",
        parts=("Aurora / RDS", "Redis", "S3 + CDN", "Kafka / MSK"),
    ),
    StackLayer(
        name="Observability",
        description="Metrics, traces, alerting, dashboards",
        parts=("Prom + Grafana", "Trace sampling", "SLO alerts", "Log pipelines"),
    ),
)


def by_name(name: str) -> EnvironmentSpec | None:
    """The spec called `name` (case-insensitive), or None for an environment the seed lacks."""
    wanted = name.strip().casefold()
    return next((spec for spec in ENVIRONMENTS if spec.name.casefold() == wanted), None)
