"""python manage.py reconcile_venues: one reconciliation pass over every venue, now."""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from infra.store import database
from infra.store.api import run
from trading.repository import Repository
from venues import runtime
from venues.recovery.reconciler import Reconciler


class Command(BaseCommand):
    help = "Ask every venue about every live attempt and feed what it says as reports."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--venue", action="append", help="only this venue (repeatable)")

    def handle(self, *args: object, **options: Any) -> None:  # argparse's values
        venues = options["venue"] or [
            v.name for v in run(database(), lambda tr: Repository(tr).venues())
        ]
        for venue in venues:
            reconciler = Reconciler(
                database(), runtime.client(venue), runtime.emit_report, runtime.flush_reports
            )
            findings = reconciler.run_once()
            fed = sum(f.reports for f in findings)
            summary = (
                ", ".join(
                    f"{n} {what}" for what, n in sorted(Counter(f.found for f in findings).items())
                )
                or "no live attempt"
            )
            self.stdout.write(
                f"{venue}: {len(findings)} live attempts ({summary}); fed {fed} reports"
            )
            for finding in findings:
                if finding.reports:
                    self.stdout.write(
                        f"  {finding.client_order_id}: {finding.found}, fed {finding.reports}"
                    )
