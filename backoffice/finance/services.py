"""Finance's writes: the seeded environments and costs, FOCUS imports, budgets.

`import_focus` writes nothing unless every row of the file is good, and then writes all of
it in one transaction; each (day, environment, category) is one row, so importing the same
bill again updates it instead of adding to it. The file format is in `focus.py`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from os import PathLike
from pathlib import Path
from typing import IO, Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from backoffice.audit.services import record
from backoffice.finance import focus
from backoffice.finance.models import CURRENCY, CostRecord, Environment
from backoffice.finance.models import TradingVolume as TradingVolumeRow
from backoffice.permissions import Actor
from infra.environments import ENVIRONMENTS, CostCategory

# Monthly budgets (USD) the seed starts with: room above each environment's run rate, except
# Dev, whose CI load runs over its budget (the dashboard flags it).
DEFAULT_BUDGETS: dict[str, Decimal] = {
    "Test": Decimal("1200"),
    "Dev": Decimal("2000"),
    "Staging": Decimal("5000"),
    "Prod": Decimal("13500"),
}
SEED_SOURCE = "seed"
SEED_DAYS_MAX = 366
BATCH_SIZE = 1000
KEY_FIELDS = ["charge_period_start", "environment", "service_category"]


@dataclass(frozen=True, slots=True)
class ImportResult:
    source: str
    rows: int = 0  # good rows read (several may add up into one cost record)
    created: int = 0
    updated: int = 0
    errors: tuple[focus.RowError, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        return not self.errors


def environments_seed() -> int:
    """The seed's four environments with their default budgets; returns how many were new.

    Environments that exist already keep their budget (finance may have changed it).
    """
    created = 0
    for position, spec in enumerate(ENVIRONMENTS):
        _, new = Environment.objects.get_or_create(
            name=spec.name,
            defaults={
                "tag": spec.tag,
                "monthly_budget": DEFAULT_BUDGETS.get(spec.name, Decimal(0)),
                "position": position,
            },
        )
        created += new
    return created


def seed_costs(*, days: int = 30, today: date | None = None) -> int:
    """The seed's daily cost per category for the last `days` days up to `today` (UTC).

    Only fills the (day, environment, category) rows that are missing: imported or corrected
    figures are never overwritten. Returns how many rows were added.
    """
    if not 1 <= days <= SEED_DAYS_MAX:
        raise ValueError(f"days must be 1..{SEED_DAYS_MAX}, got {days}")
    today = today or timezone.localdate()
    environments_seed()
    by_name = {env.name: env for env in Environment.objects.all()}
    rows = [
        CostRecord(
            charge_period_start=today - timedelta(days=back),
            environment=by_name[spec.name],
            service_category=category.value,
            billed_cost=cost,
            billing_currency=CURRENCY,
            source=SEED_SOURCE,
        )
        for spec in ENVIRONMENTS
        for back in range(days)
        for category, cost in spec.daily_cost.by_category()
    ]
    with transaction.atomic():
        before = CostRecord.objects.count()
        CostRecord.objects.bulk_create(rows, ignore_conflicts=True, batch_size=BATCH_SIZE)
        return CostRecord.objects.count() - before


def import_focus(
    file: IO[bytes] | IO[str] | bytes | str | PathLike[str],  # a str is a path
    *,
    user: Actor | None = None,
    source: str = "",
) -> ImportResult:
    """Import a FOCUS cost CSV (a path, bytes, or an open file): all of it, or nothing.

    Every bad row is reported by its line with its reason; with any bad row nothing is written.
    """
    data, source = _read(file, source)
    text = focus.decode(data) if isinstance(data, bytes) else data
    if isinstance(text, focus.RowError):
        return ImportResult(source=source, errors=(text,))
    environments = {env.name: env for env in Environment.objects.all()}
    parsed = focus.parse(text, environments=environments)
    if parsed.errors:
        return ImportResult(source=source, rows=len(parsed.rows), errors=parsed.errors)
    totals = focus.totals(parsed.rows)
    with transaction.atomic():
        existing = _existing_keys(totals, environments)
        CostRecord.objects.bulk_create(
            [
                CostRecord(
                    charge_period_start=day,
                    environment=environments[name],
                    service_category=category.value,
                    billed_cost=cost,
                    billing_currency=CURRENCY,
                    source=source[:200],
                )
                for (day, name, category), cost in totals.items()
            ],
            update_conflicts=True,
            unique_fields=KEY_FIELDS,
            update_fields=["billed_cost", "billing_currency", "source"],
            batch_size=BATCH_SIZE,
        )
        updated = sum(1 for key in totals if key in existing)
        result = ImportResult(
            source=source,
            rows=len(parsed.rows),
            created=len(totals) - updated,
            updated=updated,
        )
        days = [key[0] for key in totals]
        record(
            user=user,
            action="finance.import_focus",
            target=source[:200],
            before={},
            after={
                "rows": result.rows,
                "created": result.created,
                "updated": result.updated,
                "from": min(days).isoformat(),
                "to": max(days).isoformat(),
            },
        )
    return result


def environment_set_budget(
    *, environment: Environment, monthly_budget: Decimal, user: Actor
) -> Environment:
    """A new monthly budget (USD) for `environment`, audited."""
    if monthly_budget < 0:
        raise ValueError("a budget cannot be negative")
    with transaction.atomic():
        before = Environment.objects.select_for_update().get(pk=environment.pk).monthly_budget
        environment.monthly_budget = monthly_budget
        environment.save(update_fields=["monthly_budget"])
        record(
            user=user,
            action="finance.set_budget",
            target=environment.name,
            before={"monthly_budget": str(before)},
            after={"monthly_budget": str(monthly_budget)},
        )
    return environment


def trading_volume_record(*, day: date, orders: int, fills: int) -> None:
    """The day's order and fill counts, replacing what the day had (a rebuild's write)."""
    if orders < 0 or fills < 0:
        raise ValueError("counts cannot be negative")
    TradingVolumeRow.objects.update_or_create(day=day, defaults={"orders": orders, "fills": fills})


def trading_volume_add(*, day: date, orders: int = 0, fills: int = 0) -> None:
    """Count `orders` more orders and `fills` more fills on `day` (the projector's write, one
    per event; the caller dedupes events). Atomic: concurrent adds never lose a count."""
    if orders < 0 or fills < 0:
        raise ValueError("counts cannot be negative")
    with transaction.atomic():
        TradingVolumeRow.objects.bulk_create([TradingVolumeRow(day=day)], ignore_conflicts=True)
        TradingVolumeRow.objects.filter(day=day).update(
            orders=F("orders") + orders, fills=F("fills") + fills
        )


# --- helpers -------------------------------------------------------------------------------


def _read(file: Any, source: str) -> tuple[bytes | str, str]:
    """The file's content (at most one byte past the size limit) and a name for it."""
    limit = focus.MAX_FILE_BYTES + 1
    if isinstance(file, bytes):
        return file[:limit], source or "upload"
    if isinstance(file, str | PathLike):
        path = Path(file)
        with path.open("rb") as handle:
            return handle.read(limit), source or path.name
    content = file.read(limit)
    return content, source or str(getattr(file, "name", "") or "upload")


def _existing_keys(
    totals: dict[focus.CostKey, Decimal], environments: dict[str, Environment]
) -> set[focus.CostKey]:
    names = {env.pk: name for name, env in environments.items()}
    days: Iterable[date] = {key[0] for key in totals}
    found = CostRecord.objects.filter(
        charge_period_start__in=days,
        environment__in=[environments[name] for name in {key[1] for key in totals}],
    ).values_list("charge_period_start", "environment_id", "service_category")
    return {(day, names[env_id], CostCategory(category)) for day, env_id, category in found}
