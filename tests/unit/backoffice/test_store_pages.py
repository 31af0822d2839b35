"""The back office's reconciliation walks the store in pages, and every page is read."""

from __future__ import annotations

from infra.store.api import run
from ledger import journal
from tests.support.reports import NOW
from tests.support.store import TRADER
from trading.services.place import PlaceOrder, place
from trading.uow import execute


def test_store_orders_and_balances_come_in_pages_that_cover_the_store(seeded_db, monkeypatch):
    from backoffice import selectors

    monkeypatch.setattr(selectors, "ORDER_CHUNK", 2)
    monkeypatch.setattr(selectors, "ENTRY_CHUNK", 2)
    ids = [f"O-{i}" for i in range(5)]
    for order_id in ids:
        execute(seeded_db, place, PlaceOrder(TRADER, order_id, "BTC-USD", "buy", "0.1"), NOW)
    assert [item.order.order_id for item in selectors.store_orders(seeded_db)] == ids

    def at_once(tr):
        rng = journal.BALANCE.range()
        return {
            journal.BALANCE.unpack(k): int.from_bytes(v, "little", signed=True)
            for k, v in tr.get_range(rng.start, rng.stop)
        }

    whole = run(seeded_db, at_once)
    assert len(whole) > 2  # more than one page
    assert selectors.store_balances(seeded_db) == whole
