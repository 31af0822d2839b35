"""Ingest: evt.venue.execution.report.v1 -> apply_report, in batches.

Reports are decoded by their contract (contracts/venue.py ExecutionReportV1, in the envelope);
the bare shape adapters wrote before the envelope is still accepted for one release.

Delivery: at least once in, exactly-once effect. Offsets are committed only after the
store transaction committed; a replayed report is a duplicate by (venue, exec id). A message
that cannot be parsed goes to the dead-letter topic with its reason, and ingest goes on; a
report that parses but breaks the rules is quarantined in the store with its reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import msgspec

from contracts import registry
from contracts.envelope import Refused
from contracts.values import decimal_of, time_of
from contracts.venue import EXECUTION_REPORT, BareExecutionReportV1, ExecutionReportV1
from infra.store.api import Database
from trading.domain.reports import ExecType, ExecutionReport
from trading.services.execution import Outcome, apply_reports
from trading.uow import execute

_bare = msgspec.json.Decoder(BareExecutionReportV1)


class BadReport(ValueError):
    """The message is not a report we can apply; its reason goes to the dead-letter topic."""


def parse_report(data: bytes) -> ExecutionReport:
    """The report in `data` (its envelope decoded and validated by the contract,
    contracts/venue.py); BadReport when it is not one. The instrument's rules (precision, sign,
    step, tick) are checked in the store transaction, which quarantines what breaks them."""
    try:
        envelope = registry.decode(EXECUTION_REPORT, data)
    except Refused as refused:
        bare = _bare_report(data)
        if bare is None:
            raise BadReport(str(refused)) from None
        return to_domain(bare, bare.message_id)
    return to_domain(envelope.payload, envelope.message_id)


def _bare_report(data: bytes) -> BareExecutionReportV1 | None:
    """A report of the shape before the envelope (one release more: contracts/venue.py)."""
    try:
        return _bare.decode(data)
    except msgspec.DecodeError:
        return None


def to_domain(report: ExecutionReportV1, message_id: str) -> ExecutionReport:
    """The contract's report as the domain's (exact decimals, aware times)."""
    return ExecutionReport(
        message_id=message_id,
        venue=report.venue,
        exec_id=report.exec_id,
        order_id=report.order_id,
        attempt_id=report.attempt_id,
        exec_type=ExecType(report.exec_type),
        cum_quantity=decimal_of(report.cum_quantity),
        leaves_quantity=decimal_of(report.leaves_quantity),
        last_quantity=decimal_of(report.last_quantity),
        last_price=decimal_of(report.last_price),
        fee=decimal_of(report.fee),
        fee_asset=report.fee_asset,
        venue_fill_id=report.venue_fill_id,
        reason=report.reason,
        transact_time=None if report.transact_time is None else time_of(report.transact_time),
        raw=report.raw,
    )


def apply_batch(db: Database, reports: Sequence[ExecutionReport]) -> list[Outcome]:
    """Apply a batch in one transaction. If it raises, the consume loop splits the batch
    (infra/bus/consume.py) until the one report that fails is found and dead-lettered."""
    now = datetime.now(UTC)
    return execute(db, apply_reports, reports, now)


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
