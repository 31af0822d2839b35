"""The seed's environment cards, cost table, stack and lanes (seed/architecture-overview.md)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from importlib import resources

import msgspec

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


class _EnvironmentRow(msgspec.Struct, frozen=True):
    """One [[environment]] of seed.toml; its daily cost in the seed table's category order."""

    name: str
    slug: str
    tag: str
    meta: str
    services: tuple[str, ...]
    lanes: tuple[str, ...]
    daily_cost: tuple[int, int, int, int]

    def spec(self) -> EnvironmentSpec:
        compute, data, network, observability = (Decimal(usd) for usd in self.daily_cost)
        cost = DailyCost(compute, data, network, observability)
        return EnvironmentSpec(
            self.name, self.slug, self.tag, self.meta, self.services, self.lanes, cost
        )


class _Seed(msgspec.Struct, frozen=True):
    environment: tuple[_EnvironmentRow, ...]
    layer: tuple[StackLayer, ...]


# The figures are data (seed.toml), read and checked once at import: integers, so Decimal
# stays exact.
_SEED = msgspec.toml.decode(
    resources.files(__package__).joinpath("seed.toml").read_bytes(), type=_Seed
)
ENVIRONMENTS: tuple[EnvironmentSpec, ...] = tuple(row.spec() for row in _SEED.environment)
STACK: tuple[StackLayer, ...] = _SEED.layer


def by_name(name: str) -> EnvironmentSpec | None:
    """The spec called `name` (case-insensitive), or None for an environment the seed lacks."""
    wanted = name.strip().casefold()
    return next((spec for spec in ENVIRONMENTS if spec.name.casefold() == wanted), None)
