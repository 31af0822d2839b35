"""Events -> read models. One function for both the projector and a rebuild from the store.

Idempotent by the records' own keys as well as by message id: an order delta overwrites only
with a higher seq, a fill or a journal entry is written once (a balance moves only when its
entry is new), a dead letter once. So a rebuild followed by the projector catching up, or a
message replayed under a new id, changes nothing. Call it inside a transaction.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime

from django.db.models import F

from backoffice import events as ev
from backoffice.finance.volume import count_volume
from backoffice.models import (
    Balance,
    DeadLetter,
    Fill,
    LedgerEntry,
    Order,
    OrderStateChange,
    Position,
    Posting,
    ProjectorState,
)
from backoffice.rows import copied
from contracts.values import decimal_of, time_of
from kernel.money import MINOR_UNIT
from trading.domain.orders import Side
from trading.domain.positions import Position as PositionMath

PositionKey = tuple[str, str]  # (trader_id, instrument)
FILL_COPIED = (
    "fill_id",
    "order_id",
    "trader_id",
    "attempt_id",
    "venue",
    "venue_fill_id",
    "instrument",
    "side",
)
ORDER_AMOUNTS = ("quantity", "filled_quantity", "remaining_quantity")
ATTEMPT_FIELDS = ("attempt_id", "venue", "quantity", "filled_quantity", "state")
# What a newer delta overwrites: every column but the keys.
ORDER_FIELDS = tuple(
    f.name for f in Order._meta.concrete_fields if f.name not in ("id", "order_id")
)


def lock_projector(name: str = "projector") -> ProjectorState:
    """The projector's row, locked until the transaction ends: batches and rebuilds take turns."""
    state, _ = ProjectorState.objects.select_for_update().get_or_create(name=name)
    return state


def project(events: Sequence[ev.Event], *, positions: bool = True) -> set[PositionKey]:
    """Write `events` to the read models; returns the positions their fills touched
    (recomputed here unless `positions` is False: a rebuild recomputes once at the end)."""
    deltas, fills, entries, letters = [], [], [], []
    for event in events:
        payload = event.payload
        if isinstance(payload, ev.OrderDelta):
            deltas.append((payload, event.order_created_at))
        elif isinstance(payload, ev.FillEvent):
            fills.append((payload, event.created_at))
        elif isinstance(payload, ev.EntryEvent):
            entries.append(payload)
        else:
            letters.append((event.message_id, payload, event.created_at))
    _orders(deltas)
    _history([delta for delta, _ in deltas])
    touched = _fills(fills)
    _entries(entries)
    _dead_letters(letters)
    if positions:
        recompute_positions(touched)
    return touched


# --- orders -----------------------------------------------------------------------------------


def _order_values(delta: ev.OrderDelta) -> dict[str, object]:
    average = delta.average_price
    return {
        **copied(delta, ("trader_id", "instrument", "state", "seq")),
        **{name: decimal_of(getattr(delta, name)) for name in ORDER_AMOUNTS},
        # An average can have more places than the table keeps: rounded the same on every path.
        "average_price": None if average is None else decimal_of(average).quantize(MINOR_UNIT),
        "attempts": [copied(a, ATTEMPT_FIELDS) for a in delta.attempts],
        "updated_at": time_of(delta.updated_at),
    }


def _day(moment: datetime) -> date:
    return moment.astimezone(UTC).date()


def _orders(deltas: list[tuple[ev.OrderDelta, datetime | None]]) -> None:
    latest: dict[str, ev.OrderDelta] = {}
    created: dict[str, datetime] = {}
    for delta, known_birth in deltas:
        # seq 1 is acceptance: its time is the order's creation time.
        born = known_birth or (time_of(delta.updated_at) if delta.seq == 1 else None)
        if born is not None:
            created[delta.order_id] = born
        if delta.order_id not in latest or delta.seq > latest[delta.order_id].seq:
            latest[delta.order_id] = delta
    if not latest:
        return
    existing = {
        o.order_id: o for o in Order.objects.select_for_update().filter(order_id__in=list(latest))
    }
    new, changed = [], []
    for order_id, delta in latest.items():
        row = existing.get(order_id)
        if row is None:
            values = _order_values(delta)
            new.append(Order(order_id=order_id, created_at=created.get(order_id), **values))
            continue
        dirty = False
        if delta.seq > row.seq:
            for name, value in _order_values(delta).items():
                setattr(row, name, value)
            dirty = True
        if row.created_at is None and order_id in created:
            row.created_at = created[order_id]
            dirty = True
        if dirty:
            changed.append(row)
    Order.objects.bulk_create(new)
    Order.objects.bulk_update(changed, ORDER_FIELDS)
    count_volume(orders=[_day(o.created_at or o.updated_at) for o in new])  # unit costs


def _history(deltas: list[ev.OrderDelta]) -> None:
    """Every delta once: a redelivered one meets the (order_id, seq) key and is skipped."""
    OrderStateChange.objects.bulk_create(
        [
            OrderStateChange(
                order_id=d.order_id,
                seq=d.seq,
                state=d.state,
                filled_quantity=decimal_of(d.filled_quantity),
                updated_at=time_of(d.updated_at),
            )
            for d in deltas
        ],
        ignore_conflicts=True,
    )


# --- fills ------------------------------------------------------------------------------------


def _fills(events: list[tuple[ev.FillEvent, datetime]]) -> set[PositionKey]:
    """Each fill once; `applied_at` is its envelope's time (when trading-core booked it)."""
    fills = {f.fill_id: (f, applied_at) for f, applied_at in events}
    if not fills:
        return set()
    known = set(Fill.objects.filter(fill_id__in=list(fills)).values_list("fill_id", flat=True))
    new = [
        Fill(
            **copied(f, FILL_COPIED),
            quantity=decimal_of(f.quantity),
            price=decimal_of(f.price),
            fee=decimal_of(f.fee),
            fee_asset=f.fee_asset,
            executed_at=time_of(f.executed_at),
            applied_at=applied_at,
        )
        for fill_id, (f, applied_at) in fills.items()
        if fill_id not in known
    ]
    Fill.objects.bulk_create(new)
    count_volume(fills=[_day(f.applied_at or f.executed_at) for f in new])
    return {(f.trader_id, f.instrument) for f in new}


def recompute_positions(keys: Iterable[PositionKey]) -> None:
    """Each position again from all its fills, in the order trading-core booked them.

    Average cost depends on the order of buys and sells; fills of different orders can reach
    the projector in another order than they were booked, so a position is recomputed rather
    than moved by one fill. Ties (one store transaction) go by order id, then venue time.
    """
    for trader_id, instrument in sorted(keys):
        math = PositionMath(trader_id, instrument)
        rows = (
            Fill.objects.filter(trader_id=trader_id, instrument=instrument)
            .order_by("applied_at", "order_id", "executed_at", "fill_id")
            .values_list("side", "quantity", "price")
        )
        for side, quantity, price in rows.iterator(chunk_size=2000):
            math.apply_fill(Side(side), quantity, price)
        Position.objects.update_or_create(
            trader_id=trader_id,
            instrument=instrument,
            defaults={
                "quantity": math.quantity,
                "cost_basis": math.cost_basis,
                "realized_pnl": math.realized_pnl,
            },
        )


# --- ledger -----------------------------------------------------------------------------------


def _entries(entries: list[ev.EntryEvent]) -> None:
    unique = {e.entry_id: e for e in entries}
    if not unique:
        return
    known = set(
        LedgerEntry.objects.filter(entry_id__in=list(unique)).values_list("entry_id", flat=True)
    )
    new = [e for entry_id, e in unique.items() if entry_id not in known]
    rows = LedgerEntry.objects.bulk_create(
        [
            LedgerEntry(
                entry_id=e.entry_id,
                kind=e.kind,
                order_id=e.order_id,
                memo=e.memo[:500],
                reverses=e.reverses,
                created_at=time_of(e.created_at),
            )
            for e in new
        ]
    )
    postings = []
    moves: dict[tuple[str, str], int] = defaultdict(int)
    for row, entry in zip(rows, new, strict=True):
        for p in entry.postings:
            postings.append(
                Posting(entry=row, account=p.account, asset=p.asset, amount_minor=p.amount_minor)
            )
            moves[(p.account, p.asset)] += p.amount_minor
    Posting.objects.bulk_create(postings)
    _move_balances(moves)


def _move_balances(moves: dict[tuple[str, str], int]) -> None:
    # Sorted, so two writers never lock the same rows in opposite orders.
    for (account, asset), amount in sorted(moves.items()):
        updated = Balance.objects.filter(account=account, asset=asset).update(
            amount_minor=F("amount_minor") + amount
        )
        if not updated:
            Balance.objects.create(account=account, asset=asset, amount_minor=amount)


# --- dead letters -----------------------------------------------------------------------------


def _dead_letters(letters: list[tuple[str, ev.DeadLetterEvent, datetime]]) -> None:
    by_id = {message_id: (d, at) for message_id, d, at in letters}
    if not by_id:
        return
    known = set(
        DeadLetter.objects.filter(message_id__in=list(by_id)).values_list("message_id", flat=True)
    )
    DeadLetter.objects.bulk_create(
        [
            DeadLetter(
                message_id=message_id,
                **copied(d, ("topic", "partition", "offset", "key", "value", "reason")),
                source=d.source[:300],
                dead_lettered_at=at,
            )
            for message_id, (d, at) in by_id.items()
            if message_id not in known
        ]
    )
