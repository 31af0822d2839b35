"""The back office's fixtures: a seeded store as `database()`, a trader with the seed's order,
and one user per role (PostgreSQL for Django, the embedded store for the truth)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client

from infra.store.api import Database, run
from kernel import roles
from tests.support.api import Trader, fill_seed_order, make_trader, store
from tests.support.reports import NOW
from trading.services.place import PlaceOrder, place_order

__all__ = ["store"]  # the fixture: this test's own seeded store, swapped in as database()

_ids = itertools.count(1)


@dataclass(frozen=True)
class Seed:
    db: Database
    trader: Trader
    order_id: str  # the seed's buy of 3 BTC, filled 1.2 @ 9980 + 1.8 @ 9985


def place(
    db: Database, trader_id: str, side: str = "buy", quantity: str = "3.0", **more: Any
) -> str:
    order_id = f"O-bo-{next(_ids)}"
    command = PlaceOrder(
        trader_id, order_id, "BTC-USD", side, quantity, more.pop("limit_price", "10000"), **more
    )
    return run(db, lambda tr: place_order(tr, command, NOW)).order.order_id


@pytest.fixture
def trader(store: Database, db: None) -> Trader:
    return make_trader()


@pytest.fixture
def seed(store: Database, trader: Trader) -> Seed:
    order_id = place(store, trader.trader_id)
    fill_seed_order(store, order_id)
    return Seed(store, trader, order_id)


def user_in(role: str | None, *, is_staff: bool = True, name: str = "") -> User:
    user = User.objects.create_user(
        name or f"{role or 'nobody'}-{next(_ids)}", password="pass-1234", is_staff=is_staff
    )
    if role:
        user.groups.add(Group.objects.get_or_create(name=role)[0])
    return user


@pytest.fixture
def staff(db: None) -> User:
    return user_in(roles.STAFF)


@pytest.fixture
def finance(db: None) -> User:
    return user_in(roles.FINANCE)


@pytest.fixture
def ops(db: None) -> User:
    return user_in(roles.OPS)


def client_for(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def staff_client(staff: User) -> Client:
    return client_for(staff)


def minor(amount: str) -> int:
    return int(Decimal(amount) * 10**8)
