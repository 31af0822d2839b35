"""edge-api tests: a fresh seeded store per test, traders with tokens, the seed's fills.

Import the fixtures into a conftest (`from tests.support.api import *`-style, by name).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.urls import include, path
from rest_framework.test import APIClient

from infra.store import open_database, use_database
from infra.store.api import Database, Transaction, run
from kernel.ids import trader_id_for
from tests.support.reports import NOW, report
from tests.support.store import seed_quotes
from trading.accounts import create_trader
from trading.services import reference
from trading.services.execution import Outcome, apply_execution_report
from trading.services.quotes import record_quote

_names = itertools.count(1)


@dataclass(frozen=True)
class Trader:
    user: User
    token: str
    trader_id: str

    def client(self) -> APIClient:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {self.token}")
        return client


@pytest.fixture
def store(tmp_path):
    """This test's own embedded store: reference data and the seed's quotes, as `database()`."""
    db = open_database(path=str(tmp_path / "store.sqlite3"))

    def seed(tr: Transaction) -> None:
        reference.seed_reference_data(tr)
        for quote in seed_quotes():
            record_quote(tr, quote, NOW)

    run(db, seed)
    use_database(db)
    yield db
    use_database(None)
    db.close()


def make_trader(deposits: dict[str, Decimal] | None = None) -> Trader:
    """A trader (user in the trader group, token, store record) with the demo deposits."""
    name = f"trader-{next(_names)}"
    token = create_trader(name, dict(reference.DEMO_DEPOSITS if deposits is None else deposits))
    return Trader(token.user, token.key, trader_id_for(token.user))


@pytest.fixture
def trader(store, db) -> Trader:
    return make_trader()


@pytest.fixture
def other_trader(store, db) -> Trader:
    return make_trader()


@pytest.fixture
def api(trader) -> APIClient:
    return trader.client()


def place(api: APIClient, **body: Any) -> dict[str, Any]:
    answer = api.post("/api/v1/orders", body, format="json")
    assert answer.status_code == 201, answer.content
    return answer.json()


SEED_ORDER = {"instrument": "BTC-USD", "side": "buy", "quantity": "3.0", "limit_price": "10000"}


def apply(db: Database, rep: Any) -> Outcome:
    return run(db, lambda tr: apply_execution_report(tr, rep, NOW))


def fill_seed_order(db: Database, order_id: str) -> None:
    """The seed's venue story: EA-1 1.2 @ 9980 at SIM-A then expires, EA-2 1.8 @ 9985 at SIM-B."""
    steps = [
        report(order_id, "EA-1", "SIM-A", "new", leaves="3.0"),
        report(
            order_id, "EA-1", "SIM-A", "trade", cum="1.2", leaves="1.8", qty="1.2", price="9980"
        ),
        report(order_id, "EA-1", "SIM-A", "expired", cum="1.2"),
        report(order_id, "EA-2", "SIM-B", "new", leaves="1.8"),
        report(order_id, "EA-2", "SIM-B", "trade", cum="1.8", qty="1.8", price="9985"),
    ]
    assert [apply(db, step) for step in steps] == [Outcome.APPLIED] * len(steps)


def expire_attempt(db: Database, order_id: str, attempt_id: str = "EA-1", venue: str = "SIM-A"):
    """The venue ends the attempt unfilled (an IOC with nothing inside its limit)."""
    return apply(db, report(order_id, attempt_id, venue, "expired", cum="0"))


def walk(api: APIClient, url: str) -> list[list[dict[str, Any]]]:
    """Every page of a list, following `next` links to the end."""
    pages = []
    while url:
        answer = api.get(url)
        assert answer.status_code == 200, answer.content
        body = answer.json()
        assert set(body) == {"results", "next"}
        pages.append(body["results"])
        url = body["next"]
    return pages


# edge-api's routes alone, as a URLconf (for `spectacular --urlconf tests.support.api`).
urlpatterns = [
    path("api/v1/", include("trading.api.urls")),
    path("api/v1/", include("ledger.api.urls")),
    path("api/v1/", include("backoffice.history_urls")),
]
