"""Builders of execution reports as a venue would send them, for tests at every level, and
their wire form (the contract's envelope)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from decimal import Decimal

import msgspec

from contracts import registry
from contracts.values import time_text
from contracts.venue import EXECUTION_REPORT, ExecutionReportV1
from trading.domain.reports import ExecType, ExecutionReport

_ids = itertools.count(1)
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def report(
    order_id: str,
    attempt_id: str,
    venue: str,
    exec_type: ExecType | str,
    *,
    cum: str | Decimal = "0",
    leaves: str | Decimal = "0",
    qty: str | Decimal = "0",
    price: str | Decimal = "0",
    fee: str | Decimal | None = None,
    venue_fill_id: str | None = None,
    exec_id: str | None = None,
) -> ExecutionReport:
    exec_type = ExecType(exec_type)
    qty, price = Decimal(qty), Decimal(price)
    if fee is None:
        fee = (qty * price * Decimal("0.001")).quantize(Decimal("1e-8"))
    n = next(_ids)
    return ExecutionReport(
        message_id=f"msg-{n}",
        venue=venue,
        exec_id=exec_id or f"{venue}-E{n}",
        order_id=order_id,
        attempt_id=attempt_id,
        exec_type=exec_type,
        cum_quantity=Decimal(cum),
        leaves_quantity=Decimal(leaves),
        last_quantity=qty,
        last_price=price,
        fee=Decimal(fee),
        fee_asset="USD",
        venue_fill_id=venue_fill_id or (f"{venue}-F{n}" if exec_type is ExecType.TRADE else None),
        transact_time=NOW,
    )


def contract_report(report: ExecutionReport, **changes: object) -> ExecutionReportV1:
    """The domain's report as its contract carries it (contracts/venue.py), with `changes`
    (any field, also one that breaks the domain's rules: the contract takes what venues say)."""
    fields = msgspec.to_builtins(report)  # exact decimals as text
    del fields["message_id"]  # the envelope's, not the payload's
    fields["transact_time"] = report.transact_time and time_text(report.transact_time)
    payload = registry.build(ExecutionReportV1, fields)
    return msgspec.structs.replace(payload, **changes)


def wire(report: ExecutionReport | ExecutionReportV1, **changes: object) -> bytes:
    """The report's envelope as a venue adapter puts it on evt.venue.execution.report.v1."""
    if isinstance(report, ExecutionReport):
        payload = contract_report(report, **changes)
        message_id = report.message_id
    else:
        payload = msgspec.structs.replace(report, **changes)
        message_id = payload.message_id
    return registry.encode(
        EXECUTION_REPORT, message_id=message_id, key=payload.order_id, created_at=NOW,
        payload=payload,
    )  # fmt: skip
