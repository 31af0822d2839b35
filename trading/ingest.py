"""Ingest: evt.venue.execution.report.v1 -> apply_execution_report, in batches.

Delivery: at least once in, exactly-once effect. Offsets are committed only after the
store transaction committed; a replayed report is a duplicate by (venue, exec id). A message
that cannot be parsed goes to the dead-letter topic with its reason, and ingest goes on.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import msgspec

from infra.store.api import Database, FDBError, run
from trading.domain.reports import ExecType, ExecutionReport
from trading.services.execution import Outcome, apply_execution_reports

log = logging.getLogger(__name__)


class ReportMessage(msgspec.Struct, forbid_unknown_fields=False):
    """The wire shape adapters produce (decimals as strings)."""

    message_id: str
    venue: str
    exec_id: str
    order_id: str
    attempt_id: str
    exec_type: ExecType
    cum_quantity: Decimal
    leaves_quantity: Decimal
    last_quantity: Decimal = Decimal(0)
    last_price: Decimal = Decimal(0)
    fee: Decimal = Decimal(0)
    fee_asset: str = ""
    venue_fill_id: str | None = None
    reason: str | None = None
    transact_time: datetime | None = None
    raw: dict[str, Any] = {}


_decoder = msgspec.json.Decoder(ReportMessage)


class BadReport(ValueError):
    """The message is not a report we can apply; its reason goes to the dead-letter topic."""


def parse_report(data: bytes) -> ExecutionReport:
    try:
        m = _decoder.decode(data)
    except msgspec.DecodeError as error:
        raise BadReport(str(error)) from None
    numbers = (m.cum_quantity, m.leaves_quantity, m.last_quantity, m.last_price, m.fee)
    if any(not n.is_finite() or n < 0 for n in numbers):
        raise BadReport("quantities, prices and fees must be finite and not negative")
    if m.transact_time is not None and m.transact_time.tzinfo is None:
        raise BadReport("transact_time must carry a time zone")
    return ExecutionReport(**msgspec.structs.asdict(m))


def apply_batch(db: Database, reports: Sequence[ExecutionReport]) -> list[Outcome]:
    """Apply a batch in one transaction; if that fails for good, one by one, so one bad report
    cannot hold the others back (its error is raised after the rest are in)."""
    now = datetime.now(UTC)
    try:
        return run(db, lambda tr: apply_execution_reports(tr, reports, now))
    except FDBError as error:
        if len(reports) == 1:
            raise
        log.warning("batch of %d failed (%s): applying one by one", len(reports), error)
    return [outcome for report in reports for outcome in apply_batch(db, [report])]


def handle_messages(db: Database, messages: Sequence[Any]) -> list[tuple[Any, str]]:
    """Parse and apply a batch; returns the messages refused, with their reasons."""
    refused: list[tuple[Any, str]] = []
    reports = []
    for message in messages:
        try:
            reports.append(parse_report(message.value() or b""))
        except BadReport as error:
            refused.append((message, f"unparseable report: {error}"))
    if reports:
        apply_batch(db, reports)
    return refused
