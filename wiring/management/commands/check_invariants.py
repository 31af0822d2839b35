"""python manage.py check_invariants: exits non-zero with the findings when the store is unsound.

The store is read in bounded transactions (trading/invariants.py); then the back office's read
models are compared with it (backoffice/reports.py's reconciliation), as one summary line.
"""

import time
from collections import Counter
from datetime import UTC, datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from infra.store import database
from trading.invariants import STALE_ATTEMPT_S, check_store


def read_model_summary() -> str | None:
    """One line when the read models differ from the store, None when they agree."""
    from backoffice.reports import reconciliation  # the back office's own comparison

    result = reconciliation()
    if result.ok:
        return None
    checks = Counter(f.check for f in result.findings)
    first = result.findings[0]
    return (
        f"read models differ from the store: {len(result.findings)} finding(s) "
        f"({', '.join(f'{k} {n}' for k, n in sorted(checks.items()))}); first: "
        f"{first.check} {first.subject}: {first.problem} (store {first.store}, "
        f"read model {first.read_model})"
    )


class Command(BaseCommand):
    help = (
        "Check the ledger, orders, fills, positions, holds, balances and attempts in the store, "
        "and the read models against it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--stale-after",
            type=float,
            default=STALE_ATTEMPT_S,
            help="seconds after which an attempt still pending or working is a finding",
        )
        parser.add_argument(
            "--read-models-wait",
            type=float,
            default=20.0,
            help="seconds to let the projector catch up before read models that differ count",
        )
        parser.add_argument("--no-read-models", action="store_true")

    def handle(self, *args: object, **options: Any) -> None:  # argparse's values
        stale_after = float(options["stale_after"])
        findings = check_store(database(), now=datetime.now(UTC), stale_after_s=stale_after)
        if not options["no_read_models"]:
            wait = float(options["read_models_wait"])
            summary = self._read_models(wait)
            if summary:
                findings.append(summary)
        if findings:
            for finding in findings:
                self.stderr.write(finding)
            raise CommandError(f"{len(findings)} invariant(s) broken")
        self.stdout.write("ok: every invariant holds")

    def _read_models(self, wait_s: float) -> str | None:
        """The read models' summary line, once it is clean or `wait_s` has passed."""
        deadline = time.monotonic() + wait_s
        while True:
            try:
                summary = read_model_summary()
            except Exception as error:  # noqa: BLE001 - no Django database here: say so
                self.stdout.write(f"read models not checked: {error}")
                return None
            if summary is None or time.monotonic() >= deadline:
                return summary
            time.sleep(1)
