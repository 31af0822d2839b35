"""Builders of execution reports as a venue would send them, for tests at every level."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from decimal import Decimal

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
