"""python manage.py rebuild_read_models: the back office's read models again, from the store."""

from django.core.management.base import BaseCommand

from backoffice.rebuild import read_models_rebuild


class Command(BaseCommand):
    help = "Rebuild the back office's read models from the store (dead letters are kept)."

    def handle(self, *args: object, **options: object) -> None:
        summary = read_models_rebuild()
        self.stdout.write(
            f"rebuilt: {summary.orders} orders, {summary.fills} fills, "
            f"{summary.entries} ledger entries, {summary.balances} balances, "
            f"{summary.positions} positions, {summary.quarantined} quarantined reports"
        )
