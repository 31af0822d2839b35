"""python manage.py import_focus PATH: a FOCUS cost CSV, all of it or nothing."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from backoffice.finance import services


class Command(BaseCommand):
    help = (
        "Import a FOCUS cost CSV (ChargePeriodStart, ServiceCategory, BilledCost, "
        "BillingCurrency, and Environment or Tags env=...). Any bad row: every bad row is "
        "printed with its line, nothing is imported, and the exit status is 1."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="the CSV file")

    def handle(self, *args: Any, **options: Any) -> None:
        path = options["path"]
        try:
            result = services.import_focus(path)
        except OSError as error:
            raise CommandError(f"{path}: {error.strerror or error}") from error
        if not result.ok:
            for problem in result.errors:
                self.stderr.write(f"{path}: {problem}")
            raise CommandError(f"{path}: {len(result.errors)} bad rows; nothing imported")
        self.stdout.write(
            f"{path}: {result.rows} rows imported "
            f"({result.created} cost records added, {result.updated} updated)"
        )
