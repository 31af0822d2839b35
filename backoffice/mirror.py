"""The mirrors of what has no event: instruments, venues and quarantined reports.

Nothing publishes a change of reference data (a halt, a circuit opening in a venue worker) or
a quarantined report, so these tables are copied from the store, never when a page is read:
- by the projector process, once at its start (so a restart shows what changed while it was
  down) and then every MIRROR_EVERY_S, in a thread of its own (`mirror_forever`): it takes no
  projector lock, touches no projected table, and an error here is logged, never a batch's;
- where the back office changes the data itself (a venue halted in the admin), at once;
- by `read_models_rebuild`.
Each round writes only the rows that differ, so an unchanged store costs reads only.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from datetime import datetime
from typing import TypeVar

from django.db import close_old_connections, connection, models, transaction

from backoffice import selectors
from backoffice.models import Instrument, QuarantinedReport, Venue
from backoffice.rows import copied
from infra.store.api import Database

log = logging.getLogger(__name__)

MIRROR_EVERY_S = 5.0  # how stale a halt, an open circuit or a quarantine may be in the admin

INSTRUMENT_FIELDS = ("base", "quote", "quantity_step", "price_tick", "min_quantity")
VENUE_FIELDS = ("taker_fee_rate", "halted", "circuit_open")

_Row = TypeVar("_Row", bound=models.Model)


def mirror_reference(db: Database | None = None) -> int:
    """Instruments and venues as the store has them now (halts included); returns rows written."""
    reference = selectors.store_reference(db)
    instruments = {i.symbol: copied(i, INSTRUMENT_FIELDS) for i in reference.instruments}
    venues = {v.name: copied(v, VENUE_FIELDS) for v in reference.venues}
    with transaction.atomic():
        return _same_as(Instrument, "symbol", instruments) + _same_as(Venue, "name", venues)


def _same_as(model: type[_Row], key: str, wanted: Mapping[str, Mapping[str, object]]) -> int:
    """Make `model`'s rows those of `wanted` (key -> fields), writing only what differs."""
    existing = {getattr(row, key): row for row in model._default_manager.all()}
    new = [
        model(**{key: name, **fields}) for name, fields in wanted.items() if name not in existing
    ]
    changed = []
    for name, fields in wanted.items():
        row = existing.get(name)
        if row is not None and any(getattr(row, f) != value for f, value in fields.items()):
            for f, value in fields.items():
                setattr(row, f, value)
            changed.append(row)
    gone = [name for name in existing if name not in wanted]
    model._default_manager.bulk_create(new, ignore_conflicts=True)  # another writer came first
    if changed:
        names = sorted({f for fields in wanted.values() for f in fields})
        model._default_manager.bulk_update(changed, names)
    if gone:
        model._default_manager.filter(**{f"{key}__in": gone}).delete()
    return len(new) + len(changed) + len(gone)


def mirror_quarantined(db: Database | None = None) -> int:
    """Copy the store's quarantined reports not mirrored yet; returns how many the mirror holds."""
    records = selectors.store_quarantined(db)
    exec_ids = {str(r.get("exec_id") or "") for r in records}
    known = set(
        QuarantinedReport.objects.filter(exec_id__in=exec_ids).values_list("venue", "exec_id")
    )
    rows = []
    for record in records:
        venue, exec_id = str(record.get("venue") or ""), str(record.get("exec_id") or "")
        if (venue, exec_id) in known:
            continue
        received = record.get("received_at")
        rows.append(
            QuarantinedReport(
                venue=venue,
                exec_id=exec_id,
                order_id=str(record.get("order_id") or ""),
                attempt_id=str(record.get("attempt_id") or ""),
                exec_type=str(record.get("exec_type") or ""),
                reason=str(record.get("reason_refused") or ""),
                received_at=datetime.fromisoformat(received) if isinstance(received, str) else None,
                record=record,
            )
        )
    if rows:
        QuarantinedReport.objects.bulk_create(rows, ignore_conflicts=True)
    return QuarantinedReport.objects.count()


def mirror_forever(stop: threading.Event, every_s: float = MIRROR_EVERY_S) -> None:
    """The projector process's mirror thread: a round at once, then one every `every_s`."""
    own = not connection.in_atomic_block  # (a caller's transaction keeps its connection)
    while True:
        if own:
            close_old_connections()  # a long-running thread outlives CONN_MAX_AGE
        try:
            mirror_reference()
            mirror_quarantined()
        except Exception:  # noqa: BLE001 - the store or the database away: the next round again
            log.warning("mirroring reference data and quarantines failed", exc_info=True)
        if stop.wait(every_s):
            break
    if own:
        connection.close()
