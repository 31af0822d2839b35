"""Traders as Django users: a user in the trader group, with an API token and a store record."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from django.contrib.auth.models import Group, User
from django.db import transaction

from infra.store import database
from infra.store.api import Transaction, run
from kernel import roles
from kernel.ids import trader_id_for
from trading.services import reference
from trading.tokens.models import ApiToken, issue

DEFAULT_TOKEN_NAME = "default"  # noqa: S105 - a label


def create_trader(name: str, deposits: dict[str, Decimal], password: str | None = None) -> ApiToken:
    """Create (or find) the user, its token and store record, and post the deposits once each."""
    with transaction.atomic():
        user, _ = User.objects.get_or_create(username=name)
        if password:
            user.set_password(password)
            user.save()
        group, _ = Group.objects.get_or_create(name=roles.TRADER)
        user.groups.add(group)
        # The same token again for the same trader (make run prints it on every start).
        token = (
            ApiToken.objects.filter(user=user, name=DEFAULT_TOKEN_NAME, revoked_at__isnull=True)
            .order_by("created_at")
            .first()
        ) or issue(user, DEFAULT_TOKEN_NAME)
    trader_id = trader_id_for(user)
    now = datetime.now(UTC)

    def setup(tr: Transaction) -> None:
        reference.ensure_trader(tr, trader_id, name)
        for asset, amount in deposits.items():
            reference.deposit(
                tr,
                entry_id=f"initial-deposit:{trader_id}:{asset}",
                trader_id=trader_id,
                asset=asset,
                amount=amount,
                now=now,
                memo="initial deposit",
            )

    run(database(), setup)
    return token
