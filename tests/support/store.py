"""A seeded embedded store for trading-core tests: reference data, a trader, the seed's quotes."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from decimal import Decimal as D
from pathlib import Path
from typing import Any

import pytest

from infra.store import open_database, use_database
from infra.store.api import Database, Transaction, run
from tests.support.reports import NOW
from trading.domain.routing import VenueQuote
from trading.services import reference
from trading.services.quotes import record_quote

TRADER = "T1"


def seed_quotes(version: int = 1) -> list[VenueQuote]:
    """The seed's market: SIM-A asks 1.2 @ 9980, SIM-B asks 5 @ 9985 (and bids below)."""
    return [
        VenueQuote("SIM-A", "BTC-USD", D("9970"), D("2"), D("9980"), D("1.2"), version),
        VenueQuote("SIM-B", "BTC-USD", D("9975"), D("4"), D("9985"), D("5"), version),
    ]


def seeded_store(tmp_path: Path, **faults: Any) -> Database:
    db = open_database(path=str(tmp_path / "store.sqlite3"), **faults)

    def seed(tr: Transaction) -> None:
        reference.seed_reference_data(tr)
        reference.ensure_trader(tr, TRADER, "alice")
        for asset, amount in reference.DEMO_DEPOSITS.items():
            reference.deposit(
                tr, entry_id=f"dep:{asset}", trader_id=TRADER, asset=asset, amount=amount, now=NOW
            )
        for quote in seed_quotes():
            record_quote(tr, quote, NOW)

    run(db, seed)
    return db


def lift_order_rate_limit(db: Database) -> None:
    """Orders placed with one fixed `NOW` all fall in the same second: a caller placing
    thousands of them (the bench) lifts the default orders-per-second limit for everyone."""
    from trading.domain.risk import ANY, Limits
    from trading.services import risk

    def lift(tr: Transaction) -> None:
        current = risk.limits_at(tr, ANY, ANY) or Limits()
        risk.set_limits(tr, ANY, ANY, replace(current, orders_per_second=None))

    run(db, lift)


@pytest.fixture
def seeded_db(tmp_path: Path) -> Iterator[Database]:
    """This test's seeded store, also as `database()`; not named `db`, which is pytest-django's."""
    db = seeded_store(tmp_path)
    use_database(db)
    yield db
    use_database(None)
    db.close()
