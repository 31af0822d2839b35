"""The execution report as the domain applies it (exact decimals, aware times).

Its wire form is `contracts.venue.ExecutionReportV1` (evt.venue.execution.report.v1); ingest
turns one into the other (`trading.ingest.to_domain`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any


class ExecType(StrEnum):
    NEW = "new"  # the venue accepted the attempt
    TRADE = "trade"  # one fill
    EXPIRED = "expired"  # the rest ended at the venue (IOC)
    CANCELED = "canceled"  # the rest was canceled at our request
    REJECTED = "rejected"  # the venue refused the attempt

    @property
    def is_terminal(self) -> bool:
        return self in (ExecType.EXPIRED, ExecType.CANCELED, ExecType.REJECTED)


@dataclass(frozen=True)
class ExecutionReport:
    """One venue report about one attempt; `exec_id` is unique per venue.

    `cum_quantity` is the venue's cumulative filled quantity for the attempt when it sent the
    report: a terminal report whose cum_quantity is above what we have applied tells us fills
    are still on their way (reordered), so the attempt is not ended until they arrive.
    """

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
    raw: dict[str, Any] = field(default_factory=dict)


# Bounds on any number a venue sends, checked before arithmetic touches it: a report is data
# from outside, and one absurd number (1e999999, 40 digits) must be refused, not computed with.
MAX_DECIMALS = 8  # the ledger's minor unit (1e-8)
MAX_DIGITS = 30
MAX_MAGNITUDE = Decimal("1e10")  # as at the edge: balances in minor units fit an int64


def _shown(value: Decimal) -> str:
    """Plain digits when short (0.000000001), else as given (1E+999999)."""
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and -MAX_DIGITS <= exponent <= MAX_DIGITS:
        return format(value, "f")
    return str(value)


def _number_violation(name: str, number: Decimal) -> str | None:
    value = _shown(number)
    if not number.is_finite():
        return f"{name} {value} is not a finite number"
    if number < 0:
        return f"{name} {value} is negative"
    if len(number.as_tuple().digits) > MAX_DIGITS or abs(number) >= MAX_MAGNITUDE:
        return f"{name} {value} is out of bounds"
    if number != number.quantize(Decimal(1).scaleb(-MAX_DECIMALS)):
        return f"{name} {value} has more than {MAX_DECIMALS} decimals"
    return None


def rule_violation(
    report: ExecutionReport, quantity_step: Decimal, price_tick: Decimal
) -> str | None:
    """Why `report` breaks its instrument's rules (precision, step, tick, sign, size), or None."""
    numbers = {
        "last_quantity": report.last_quantity,
        "last_price": report.last_price,
        "cum_quantity": report.cum_quantity,
        "leaves_quantity": report.leaves_quantity,
        "fee": report.fee,
    }
    for name, value in numbers.items():
        if (reason := _number_violation(name, value)) is not None:
            return reason
    for name in ("cum_quantity", "leaves_quantity", "last_quantity"):
        if numbers[name] % quantity_step:
            return f"{name} {numbers[name]} is not a multiple of the quantity step {quantity_step}"
    if report.last_price % price_tick:
        return f"last_price {report.last_price} is not a multiple of the price tick {price_tick}"
    return None
