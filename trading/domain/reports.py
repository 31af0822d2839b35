"""The normalized execution report, as adapters put it on evt.venue.execution.report.v1."""

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
