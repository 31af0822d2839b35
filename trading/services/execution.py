"""apply_execution_report: one venue report, applied in ONE transaction, exactly once.

In that transaction: dedupe (by venue + exec id, and venue + venue fill id), the order and
attempt, the balanced ledger entry, the hold released, the position, the outbox rows, and the
next attempt when one ended with quantity left. A report that would break the order (overfill,
unknown attempt, impossible numbers, numbers off the instrument's step or tick or finer than
the ledger's 1e-8) is stored as quarantined with its reason, and nothing else changes.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from contracts.ledger import EntryV1
from contracts.registry import build
from infra.store.api import Transaction
from kernel.money import display
from ledger import journal
from ledger.domain.chart import fill_entry_id
from ledger.domain.entries import JournalEntry, fill_entry
from trading import outbox as ob
from trading.domain.errors import Refusal
from trading.domain.orders import Fill, Order, Side
from trading.domain.reports import ExecType, ExecutionReport, rule_violation
from trading.repository import Repository
from trading.services.working import record_attempt_end, work
from trading.snapshots import fill_event
from trading.uow import UnitOfWork, joined


class Outcome(StrEnum):
    APPLIED = "applied"
    UNCHANGED = "unchanged"  # valid, but nothing a snapshot shows changed (e.g. a late ack)
    DUPLICATE = "duplicate"
    QUARANTINED = "quarantined"


def apply_execution_report(tr: Transaction, report: ExecutionReport, now: datetime) -> Outcome:
    """`apply_report` in the caller's transaction."""
    return joined(tr, apply_report, report, now)


def apply_execution_reports(
    tr: Transaction, reports: Iterable[ExecutionReport], now: datetime
) -> list[Outcome]:
    """`apply_reports` in the caller's transaction."""
    return joined(tr, apply_reports, reports, now)


def apply_report(report: ExecutionReport, uow: UnitOfWork) -> Outcome:
    """Apply `report` once; a redelivery, or a replay after commit_unknown_result, is a no-op."""
    repo, now = uow.repo, uow.now
    if repo.report_outcome(report.venue, report.exec_id) is not None:
        return Outcome.DUPLICATE
    if report.exec_type is ExecType.TRADE:
        if not report.venue_fill_id:
            return _quarantine(repo, report, "a trade report without a venue fill id", now)
        if repo.fill_seen(report.venue, report.venue_fill_id):
            _record(repo, report, Outcome.DUPLICATE, now)
            return Outcome.DUPLICATE
    order = uow.find_order(report.order_id)
    if order is None:
        return _quarantine(repo, report, f"unknown order {report.order_id}", now)
    instrument = repo.instrument(order.instrument)
    broken = rule_violation(report, instrument.quantity_step, instrument.price_tick)
    if broken is not None:  # e.g. 0.000000001 BTC: nothing the ledger or the order can hold
        return _quarantine(repo, report, broken, now)
    try:
        change = order.apply_report(report, fill_id=f"{order.order_id}-F{order.fill_count + 1}")
    except Refusal as refusal:
        return _quarantine(repo, report, refusal.reason, now)
    box = uow.outbox
    if change.fill is not None:
        _book_fill(repo, box, order, change.fill, instrument.base, instrument.quote, now)
    if change.attempt_ended:
        ended = order.attempt(report.attempt_id)
        if ended is not None:
            record_attempt_end(repo, order, ended, now)
        work(repo, box, order, instrument, now)
    if change.changed:
        uow.order_changed(order, instrument, change.fill)
    else:
        uow.save_order(order)  # unchanged, but it may now hold an end report awaiting fills
    outcome = Outcome.APPLIED if change.changed else Outcome.UNCHANGED
    _record(repo, report, outcome, now)
    return outcome


def apply_reports(reports: Iterable[ExecutionReport], uow: UnitOfWork) -> list[Outcome]:
    """Several reports in one transaction (batching for throughput); same rules, in order."""
    return [apply_report(report, uow) for report in reports]


def _book_fill(
    repo: Repository, box: ob.Outbox, order: Order, fill: Fill, base: str, quote: str, now: datetime
) -> None:
    entry = fill_entry(
        entry_id=fill_entry_id(fill.fill_id),
        trader_id=order.trader_id,
        order_id=order.order_id,
        venue=fill.venue,
        buy=order.side is Side.BUY,
        base=base,
        quote=quote,
        quantity=fill.quantity,
        price=fill.price,
        fee=fill.fee,
        fee_asset=fill.fee_asset or quote,
        created_at=now,
    )
    journal.post(repo.tr, entry)
    position = repo.position(order.trader_id, order.instrument)
    position.apply_fill(order.side, fill.quantity, fill.price)
    repo.save_position(position)
    repo.save_fill(order.trader_id, fill)
    box.write(
        ob.OutboxMessage(
            message_id=f"{fill.fill_id}:fill",
            topic=ob.FILL_EVENTS,
            key=order.order_id,
            payload=fill_event(
                fill, instrument=order.instrument, side=order.side.value, trader_id=order.trader_id
            ),
            created_at=now,
        )
    )
    box.write(
        ob.OutboxMessage(
            message_id=f"{entry.entry_id}:entry",
            topic=ob.LEDGER_EVENTS,
            key=order.order_id,
            payload=entry_payload(entry),
            created_at=now,
        )
    )


def entry_payload(entry: JournalEntry) -> EntryV1:
    """A journal entry as evt.ledger.entry.v1 carries it (amounts in minor units and decimals)."""
    return build(
        EntryV1,
        {
            "entry_id": entry.entry_id,
            "kind": entry.kind,
            "order_id": entry.order_id,
            "memo": entry.memo,
            "reverses": entry.reverses,
            "created_at": entry.created_at.isoformat(),
            "postings": [
                {"account": p.account, "asset": p.asset, "amount_minor": p.amount}
                for p in entry.postings
            ],
        },
    )


def _record(repo: Repository, report: ExecutionReport, outcome: Outcome, now: datetime) -> None:
    repo.record_report(
        report.venue, report.exec_id, report.order_id, _report_record(report, outcome, now)
    )


def _quarantine(repo: Repository, report: ExecutionReport, reason: str, now: datetime) -> Outcome:
    record = _report_record(report, Outcome.QUARANTINED, now, reason)
    repo.record_report(report.venue, report.exec_id, report.order_id, record)
    repo.quarantine(record)
    return Outcome.QUARANTINED


def _shown(value: Decimal) -> str | None:
    """As the API writes it; an absurd number (refused) as it came."""
    try:
        return display(value)
    except (InvalidOperation, ValueError):
        return str(value)


def _report_record(
    report: ExecutionReport, outcome: Outcome, now: datetime, reason: str | None = None
) -> dict[str, Any]:
    """The report as the back office shows it (raw venue payload included) with its outcome."""
    return {
        "message_id": report.message_id,
        "venue": report.venue,
        "exec_id": report.exec_id,
        "order_id": report.order_id,
        "attempt_id": report.attempt_id,
        "exec_type": report.exec_type.value,
        "cum_quantity": _shown(report.cum_quantity),
        "leaves_quantity": _shown(report.leaves_quantity),
        "last_quantity": _shown(report.last_quantity),
        "last_price": _shown(report.last_price),
        "fee": _shown(report.fee),
        "fee_asset": report.fee_asset,
        "venue_fill_id": report.venue_fill_id,
        "reason": report.reason,
        "transact_time": report.transact_time.isoformat() if report.transact_time else None,
        "raw": report.raw,
        "outcome": outcome.value,
        "reason_refused": reason,
        "received_at": now.isoformat(),
    }
