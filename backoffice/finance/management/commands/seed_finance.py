"""python manage.py seed_finance: the four environments, their budgets, 30 days of costs."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from backoffice.finance import services


class Command(BaseCommand):
    help = (
        "Create the seed's environments (Test, Dev, Staging, Prod) with monthly budgets and "
        "their daily costs for the last N days. Idempotent: existing budgets and cost rows "
        "are kept."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=30, help="days of costs (default 30)")

    def handle(self, *args: Any, **options: Any) -> None:
        environments = services.environments_seed()
        costs = services.seed_costs(days=options["days"])
        self.stdout.write(f"finance: {environments} environments and {costs} cost records added")
