"""Every model change has its migration: without one, a deploy's `migrate` leaves a table behind."""

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_no_model_change_lacks_its_migration() -> None:
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)  # exits 1 on a change
