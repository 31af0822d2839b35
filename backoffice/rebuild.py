"""Read models from the store: a full rebuild, and the mirrors of what has no event.

`read_models_rebuild` turns the store's records into the very events trading-core publishes
(`trading.snapshots.order_delta`, `fill_event`, `entry_payload`) and writes them through the
projector's own `project`, so a rebuild and the projector build the same rows.
Dead letters (only ever on Kafka) and the processed message ids are kept.
Quarantined reports, instruments and venues have no events: they are mirrored from the store.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction

from backoffice import events as ev
from backoffice import selectors
from backoffice.finance.models import TradingVolume
from backoffice.models import (
    Balance,
    Fill,
    Instrument,
    LedgerEntry,
    Order,
    Position,
    Posting,
    QuarantinedReport,
    Venue,
)
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
    quarantined = quarantined_sync(db)
    reference_sync(db)
    return RebuildSummary(
        orders=Order.objects.count(),
        fills=Fill.objects.count(),
        entries=LedgerEntry.objects.count(),
        positions=Position.objects.count(),
        balances=Balance.objects.count(),
        quarantined=quarantined,
    )


def quarantined_sync(db: Database | None = None) -> int:
    """Copy the store's quarantined reports not mirrored yet; returns how many the mirror holds."""
    rows = []
    for record in selectors.store_quarantined(db):
        received = record.get("received_at")
        rows.append(
            QuarantinedReport(
                venue=str(record.get("venue") or ""),
                exec_id=str(record.get("exec_id") or ""),
                order_id=str(record.get("order_id") or ""),
                attempt_id=str(record.get("attempt_id") or ""),
                exec_type=str(record.get("exec_type") or ""),
                reason=str(record.get("reason_refused") or ""),
                received_at=datetime.fromisoformat(received) if isinstance(received, str) else None,
                record=record,
            )
        )
    QuarantinedReport.objects.bulk_create(rows, ignore_conflicts=True)
    return QuarantinedReport.objects.count()


def reference_sync(db: Database | None = None) -> None:
    """Instruments and venues as the store has them now (halts included)."""
    reference = selectors.store_reference(db)
    with transaction.atomic():
        for i in reference.instruments:
            Instrument.objects.update_or_create(
                symbol=i.symbol,
                defaults={
                    "base": i.base,
                    "quote": i.quote,
                    "quantity_step": i.quantity_step,
                    "price_tick": i.price_tick,
                    "min_quantity": i.min_quantity,
                },
            )
        Instrument.objects.exclude(symbol__in=[i.symbol for i in reference.instruments]).delete()
        for v in reference.venues:
            Venue.objects.update_or_create(
                name=v.name,
                defaults={
                    "taker_fee_rate": v.taker_fee_rate,
                    "halted": v.halted,
                    "circuit_open": v.circuit_open,
                },
            )
        Venue.objects.exclude(name__in=[v.name for v in reference.venues]).delete()
