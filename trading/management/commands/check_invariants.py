"""python manage.py check_invariants: exits non-zero with the findings when the store is unsound."""

from django.core.management.base import BaseCommand, CommandError

from infra.store import database
from infra.store.api import run
from trading.invariants import find_violations


class Command(BaseCommand):
    help = "Check the ledger, orders, fills, positions and holds in the store."

    def handle(self, *args: object, **options: object) -> None:
        findings = run(database(), find_violations)
        if findings:
            for finding in findings:
                self.stderr.write(finding)
            raise CommandError(f"{len(findings)} invariant(s) broken")
        self.stdout.write("ok: every invariant holds")
