"""Read models from the store: a full rebuild, and the mirrors of what has no event.

`read_models_rebuild` turns the store's records into the very events trading-core publishes
(`trading.snapshots.order_delta`, `fill_event`, `entry_payload`) and writes them through the
projector's own `project`, so a rebuild and the projector build the same rows.
Dead letters (only ever on Kafka), the processed message ids and the orders' state history
(OrderStateChange: the store keeps only each order's latest state, so a rebuild adds that and
keeps the rows already projected) are kept.
Quarantined reports, instruments and venues have no events: they are mirrored from the store
(backoffice/mirror.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from backoffice import events as ev
from backoffice import selectors
from backoffice.finance.models import TradingVolume
from backoffice.mirror import mirror_quarantined, mirror_reference
from backoffice.models import Balance, Fill, LedgerEntry, Order, Position, Posting
from backoffice.projection import PositionKey, lock_projector, project, recompute_positions
from infra.store import database
from infra.store.api import Database
from trading.services.execution import entry_payload
from trading.snapshots import fill_event, order_delta

BATCH = 1000  # events per write


@dataclass(frozen=True)
class RebuildSummary:
    orders: int
    fills: int
    entries: int
    positions: int
    balances: int
    quarantined: int


def read_models_rebuild(db: Database | None = None) -> RebuildSummary:
    """Empty the projected tables and fill them again from the store, in one transaction."""
    db = db or database()
    with transaction.atomic():
        lock_projector()  # the projector waits; its later batches find their rows written
        for model in (Posting, LedgerEntry, Fill, Order, Balance, Position, TradingVolume):
            model.objects.all().delete()
        touched: set[PositionKey] = set()
        batch: list[ev.Event] = []

        def flush() -> None:
            touched.update(project(batch, positions=False))
            batch.clear()

        for item in selectors.store_orders(db):
            order = item.order
            batch.append(ev.order_event(order_delta(order), order.created_at))
            for fill in item.fills:
                event = fill_event(
                    fill,
                    instrument=order.instrument,
                    side=order.side.value,
                    trader_id=order.trader_id,
                )
                batch.append(ev.fill_event(event, item.booked_at[fill.fill_id]))
            if len(batch) >= BATCH:
                flush()
        for entry in selectors.store_entries(db):
            batch.append(ev.entry_event(entry_payload(entry)))
            if len(batch) >= BATCH:
                flush()
        flush()
        recompute_positions(touched)
    quarantined = mirror_quarantined(db)
    mirror_reference(db)
    return RebuildSummary(
        orders=Order.objects.count(),
        fills=Fill.objects.count(),
        entries=LedgerEntry.objects.count(),
        positions=Position.objects.count(),
        balances=Balance.objects.count(),
        quarantined=quarantined,
    )
