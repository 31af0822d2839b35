"""python manage.py seed_platform: reference data, demo trader, demo staff (idempotent)."""

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, User
from django.core.management import call_command, get_commands
from django.core.management.base import BaseCommand

from infra.store import database
from infra.store.api import run
from kernel import roles
from trading.accounts import create_trader
from trading.services.reference import DEMO_DEPOSITS, seed_reference_data
from trading.services.risk import rebuild_exposure_once

DEMO_PASSWORD = "demo-pass-123"  # noqa: S105 - demo accounts, printed by make run
# One demo account per kind of user; `make run` prints them.
DEMO_USERS = {
    "staff": (roles.STAFF, True),
    "finance": (roles.FINANCE, True),
    "ops": (roles.OPS, True),
}


class Command(BaseCommand):
    help = "Seed instruments, venues, the demo trader and demo back-office users."

    def handle(self, *args: object, **options: object) -> None:
        run(database(), seed_reference_data)
        rebuild_exposure_once(database())  # a store from before the risk counters: count it once
        for role in roles.ALL:
            Group.objects.get_or_create(name=role)
        token = create_trader("demo", dict(DEMO_DEPOSITS))
        users = [User.objects.get(username="demo")]
        for username, (role, is_staff) in DEMO_USERS.items():
            user, _ = User.objects.get_or_create(username=username, defaults={"is_staff": is_staff})
            user.groups.add(Group.objects.get(name=role))
            users.append(user)
        # A password only for a new account, one hash for all: each PBKDF2 costs ~0.5 s of CPU
        # on every start (the accounts are demo ones, their password is on make run's banner).
        new = [user for user in users if not user.password]
        if new:
            hashed = make_password(DEMO_PASSWORD)
            for user in new:
                user.password = hashed
                user.save(update_fields=["password"])
        for extra in ("seed_finance", "seed_permissions"):
            if extra in get_commands():
                call_command(extra)
        self.stdout.write(token.key)
