"""python manage.py seed_reference_data: instruments and venues into the store (idempotent)."""

from django.core.management.base import BaseCommand

from infra.store import database
from infra.store.api import run
from trading.services.reference import seed_reference_data


class Command(BaseCommand):
    help = "Write the instruments and venues of DESIGN.md into the store."

    def handle(self, *args: object, **options: object) -> None:
        run(database(), seed_reference_data)
        self.stdout.write("reference data seeded")
