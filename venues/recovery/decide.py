"""What reconciliation feeds back for one live attempt, given what the venue says. Pure.

Every report it returns goes through the normal report path (Kafka -> ingest), whose dedupe
by (venue, exec_id) and (venue, venue_fill_id) makes feeding the same thing twice a no-op;
so the exec ids here are deterministic and a trade carries the venue's fill id.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import msgspec

from contracts.venue import ExecType, ExecutionReportV1
from kernel.money import display

ENDED_AT_VENUE = {"expired", "canceled", "rejected"}
WORKING_AT_VENUE = {"new", "partially_filled"}


@dataclass(frozen=True)
class LiveAttempt:
    """An attempt the store says is not terminal, as reconciliation sees it."""

    venue: str
    order_id: str
    attempt_id: str
    state: str  # pending | working
    filled_quantity: Decimal
    age_s: float  # since it was created
    end_known: bool = False  # the store holds the venue's end and waits for fills

    @property
    def client_order_id(self) -> str:
        return f"{self.order_id}:{self.attempt_id}"


@dataclass(frozen=True)
class VenueAnswer:
    """The venue's answer to GET orders/{client_order_id}; None stands for no answer."""

    status: int
    body: dict[str, Any]


def decide(
    attempt: LiveAttempt, answer: VenueAnswer | None, not_placed_after_s: float
) -> tuple[str, list[ExecutionReportV1]]:
    """(what we found, the normalized reports to emit) for one live attempt."""
    if answer is None:
        return "venue-unavailable", []
    if answer.status == 404:
        if attempt.age_s < not_placed_after_s:
            return "not-yet-at-venue", []
        reason = f"not placed: {attempt.venue} never received it within {not_placed_after_s:g} s"
        return "not-placed", [
            _report(attempt, "rejected", "not-placed", attempt.filled_quantity, reason=reason)
        ]
    if answer.status != 200:
        return f"venue-answered-{answer.status}", []
    body = answer.body
    status = str(body.get("status"))
    cum = Decimal(str(body.get("cum_qty", "0")))
    reports: list[ExecutionReportV1] = []
    if cum > attempt.filled_quantity:
        reports.extend(_trades(attempt, body))
    if status in WORKING_AT_VENUE and attempt.state == "pending":
        reports.append(_report(attempt, "new", "new", cum, leaves=body.get("leaves_qty")))
    if status in ENDED_AT_VENUE and not attempt.end_known:
        reports.append(_report(attempt, status, status, cum, reason=body.get("reason")))  # type: ignore[arg-type]
    if not reports:
        return "in-step", []
    return ("ended-at-venue" if status in ENDED_AT_VENUE | {"filled"} else "working"), reports


def _trades(attempt: LiveAttempt, body: dict[str, Any]) -> list[ExecutionReportV1]:
    """One trade report per venue fill, in the venue's order, with the running cum quantity."""
    quantity = Decimal(str(body.get("quantity", "0")))
    cum = Decimal(0)
    reports = []
    for fill in body.get("fills", []):
        qty = Decimal(str(fill["qty"]))
        cum += qty
        report = msgspec.structs.replace(
            _report(attempt, "trade", f"fill:{fill['venue_fill_id']}", cum),
            leaves_quantity=_text(max(quantity - cum, Decimal(0))),
            last_quantity=_text(qty),
            last_price=_text(Decimal(str(fill["price"]))),
            fee=_text(Decimal(str(fill.get("fee", "0")))),
            fee_asset=str(fill.get("fee_asset", "")),
            venue_fill_id=str(fill["venue_fill_id"]),
            transact_time=fill.get("ts"),
        )
        reports.append(report)
    return reports


def _report(
    attempt: LiveAttempt,
    exec_type: ExecType,
    what: str,
    cum: Decimal,
    *,
    reason: str | None = None,
    leaves: object = "0",
) -> ExecutionReportV1:
    return ExecutionReportV1(
        venue=attempt.venue,
        exec_id=f"reconcile:{attempt.client_order_id}:{what}",
        order_id=attempt.order_id,
        attempt_id=attempt.attempt_id,
        exec_type=exec_type,
        cum_quantity=_text(cum),
        leaves_quantity=str(leaves or "0"),
        reason=reason,
        raw={"source": "reconciliation", "found": what},
    )


def _text(value: Decimal) -> str:
    return display(value) or "0"
