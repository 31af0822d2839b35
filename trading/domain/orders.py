"""The synthetic order and its attempts, changed only through methods (tables: lifecycle.py).

A synthetic order is worked through child attempts EA-1, EA-2, ... each sent to one venue:
by the default strategy one at a time, whole to the best venue; by the split strategy several
at once, spread across venues, never adding up to more than what is left to fill.
`seq` grows by exactly 1 with every change a snapshot would show.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from trading.domain.errors import IllegalTransition, Refusal
from trading.domain.lifecycle import (
    ATTEMPT_TABLE,
    END_EVENT,
    ENDED_ATTEMPT_STATES,
    ENDED_ORDER_STATES,
    ORDER_TABLE,
    AttemptEvent,
    AttemptState,
    OrderEvent,
    OrderState,
    next_state,
)
from trading.domain.reports import ExecType, ExecutionReport


class Side(StrEnum):
    BUY = "buy"
    SELL = "sell"


class OrderType(StrEnum):
    MARKET = "market"
    LIMIT = "limit"


class TimeInForce(StrEnum):
    GTC = "GTC"
    IOC = "IOC"
    DAY = "DAY"


class RoutingStrategy(StrEnum):
    BEST = "best"  # the seed's route: each attempt whole to the best top of book
    SPLIT = "split"  # spread across venues by depth, fees and fill ratio (domain/routing_split.py)


@dataclass
class Attempt:
    attempt_id: str
    venue: str
    quantity: Decimal
    limit_price: Decimal | None
    created_at: datetime
    filled_quantity: Decimal = Decimal(0)
    state: AttemptState = AttemptState.PENDING
    # Set when the venue says the attempt ended but some of its fills have not arrived yet.
    final_exec_type: ExecType | None = None
    final_cum_quantity: Decimal | None = None
    reason: str | None = None
    quote_version: int = 0  # the venue quote this attempt was routed on
    # What the venue's book showed of this attempt inside the limit when it was routed: the
    # measure of the venue's fill ratio (an attempt sent past the book is not the venue's miss).
    expected_quantity: Decimal | None = None

    @property
    def ended(self) -> bool:
        return self.state in ENDED_ATTEMPT_STATES

    def apply(self, event: AttemptEvent) -> None:
        """Move by the attempt's table; a move it does not list raises IllegalTransition."""
        self.state = next_state(
            ATTEMPT_TABLE, self.state, event, AttemptEvent, f"attempt {self.attempt_id}"
        )


@dataclass(frozen=True)
class Fill:
    fill_id: str
    order_id: str
    attempt_id: str
    venue: str
    venue_fill_id: str
    quantity: Decimal
    price: Decimal
    fee: Decimal
    fee_asset: str
    executed_at: datetime


@dataclass(frozen=True)
class ReportOutcome:
    """What applying one report changed; `changed` means a new delta (seq + 1)."""

    changed: bool
    fill: Fill | None = None
    attempt_ended: bool = False


@dataclass
class Order:
    order_id: str
    trader_id: str
    client_order_id: str | None
    instrument: str
    side: Side
    order_type: OrderType
    time_in_force: TimeInForce
    quantity: Decimal
    limit_price: Decimal | None
    # The price every attempt is limited to: the limit, or a market order's protective price.
    protect_price: Decimal
    venue: str | None
    created_at: datetime
    updated_at: datetime
    request_fingerprint: str = ""
    expires_at: datetime | None = None
    filled_quantity: Decimal = Decimal(0)
    notional: Decimal = Decimal(0)
    fees: Decimal = Decimal(0)
    fill_count: int = 0
    state: OrderState = OrderState.NEW
    seq: int = 1
    attempts: list[Attempt] = field(default_factory=list)
    reason: str | None = None
    strategy: RoutingStrategy = RoutingStrategy.BEST

    # --- reading ---------------------------------------------------------------------------
    @property
    def remaining_quantity(self) -> Decimal:
        return self.quantity - self.filled_quantity

    @property
    def average_price(self) -> Decimal | None:
        if not self.filled_quantity:
            return None
        return self.notional / self.filled_quantity

    @property
    def ended(self) -> bool:
        return self.state in ENDED_ORDER_STATES

    @property
    def active_attempts(self) -> list[Attempt]:
        return [a for a in self.attempts if not a.ended]

    @property
    def working_quantity(self) -> Decimal:
        """What active attempts may still fill."""
        return sum((a.quantity - a.filled_quantity for a in self.active_attempts), Decimal(0))

    def attempt(self, attempt_id: str) -> Attempt | None:
        return next((a for a in self.attempts if a.attempt_id == attempt_id), None)

    def venue_client_order_id(self, attempt: Attempt) -> str:
        """The id the venue knows the attempt by: unique across orders, stable across retries."""
        return f"{self.order_id}:{attempt.attempt_id}"

    # --- changing --------------------------------------------------------------------------
    def apply(self, event: OrderEvent) -> None:
        """Move by the order's table; a move it does not list raises IllegalTransition."""
        self.state = next_state(
            ORDER_TABLE, self.state, event, OrderEvent, f"order {self.order_id}"
        )

    def touch(self, now: datetime) -> None:
        """Record one delta: seq + 1."""
        self.seq += 1
        self.updated_at = now

    def add_attempt(
        self,
        venue: str,
        quantity: Decimal,
        now: datetime,
        quote_version: int = 0,
        expected_quantity: Decimal | None = None,
    ) -> Attempt:
        """A new pending attempt; never more at venues than what is left to fill."""
        if quantity <= 0 or self.working_quantity + quantity > self.remaining_quantity:
            raise IllegalTransition(
                f"order {self.order_id}",
                self.state.value,
                "add_attempt",
                f"{quantity} more would put {self.working_quantity + quantity} in flight "
                f"of {self.remaining_quantity} left",
            )
        attempt = Attempt(
            attempt_id=f"EA-{len(self.attempts) + 1}",
            venue=venue,
            quantity=quantity,
            limit_price=self.protect_price,
            created_at=now,
            quote_version=quote_version,
            expected_quantity=expected_quantity,
        )
        self.attempts.append(attempt)
        return attempt

    def request_cancel(self) -> None:
        """Cancel: at once when nothing is at a venue, else cancel_pending until venues confirm."""
        self.apply(OrderEvent.CANCEL_REQUESTED if self.active_attempts else OrderEvent.CANCELED)

    def end(self, event: OrderEvent, reason: str | None = None) -> None:
        """End an order with no active attempt: expired, rejected or canceled.

        Rejected after fills is expired (the table's rule): the fills stand.
        """
        if self.active_attempts:
            raise IllegalTransition(
                f"order {self.order_id}", self.state, str(event), "attempts are still at a venue"
            )
        self.apply(event)
        self.reason = reason

    def apply_report(self, report: ExecutionReport, fill_id: str) -> ReportOutcome:
        """Apply one (already deduplicated) report to the attempt it names.

        Raises Refusal for reports that would break the order: unknown attempt, a fill over the
        attempt's or the order's quantity, a fill on an attempt whose every fill is in.
        """
        attempt = self.attempt(report.attempt_id)
        if attempt is None:
            raise Refusal(f"unknown attempt {report.attempt_id}")
        if attempt.venue != report.venue:
            raise Refusal(f"attempt {attempt.attempt_id} was sent to {attempt.venue}")
        if report.exec_type is ExecType.TRADE:
            return self._apply_fill(attempt, report, fill_id)
        if report.exec_type is ExecType.NEW:
            return self._apply_ack(attempt)
        return self._apply_end(attempt, report)

    def _apply_ack(self, attempt: Attempt) -> ReportOutcome:
        # An ack after fills or after the end changes nothing: reports can be reordered.
        if attempt.state is not AttemptState.PENDING:
            return ReportOutcome(changed=False)
        attempt.apply(AttemptEvent.ACKNOWLEDGED)
        if self.state is OrderState.NEW:
            self.apply(OrderEvent.WORKING)
        return ReportOutcome(changed=True)

    def _apply_fill(self, attempt: Attempt, report: ExecutionReport, fill_id: str) -> ReportOutcome:
        quantity, price = report.last_quantity, report.last_price
        if quantity <= 0 or price <= 0:
            raise Refusal("a fill needs a positive quantity and price")
        if attempt.filled_quantity + quantity > attempt.quantity:
            raise Refusal(
                f"overfill: attempt {attempt.attempt_id} would fill "
                f"{attempt.filled_quantity + quantity} of {attempt.quantity}"
            )
        if self.filled_quantity + quantity > self.quantity:
            raise Refusal(
                f"overfill: order would fill {self.filled_quantity + quantity} of {self.quantity}"
            )
        if attempt.ended:
            raise Refusal(f"fill after attempt {attempt.attempt_id} ended {attempt.state}")
        if self.protect_price and not _within(self.side, price, self.protect_price):
            raise Refusal(f"fill price {price} is worse than the limit {self.protect_price}")
        attempt.filled_quantity += quantity
        complete = attempt.filled_quantity == attempt.quantity
        attempt.apply(AttemptEvent.COMPLETE_FILL if complete else AttemptEvent.PARTIAL_FILL)
        self.filled_quantity += quantity
        self.notional += quantity * price
        self.fees += report.fee
        self.fill_count += 1
        fill = Fill(
            fill_id=fill_id,
            order_id=self.order_id,
            attempt_id=attempt.attempt_id,
            venue=report.venue,
            venue_fill_id=report.venue_fill_id or report.exec_id,
            quantity=quantity,
            price=price,
            fee=report.fee,
            fee_asset=report.fee_asset,
            executed_at=report.transact_time or self.updated_at,
        )
        ended = complete
        if not complete and attempt.final_cum_quantity == attempt.filled_quantity:
            ended = self._close(attempt)  # the last missing fill of an attempt that already ended
        filled = self.filled_quantity == self.quantity
        self.apply(OrderEvent.COMPLETE_FILL if filled else OrderEvent.PARTIAL_FILL)
        return ReportOutcome(changed=True, fill=fill, attempt_ended=ended)

    def _apply_end(self, attempt: Attempt, report: ExecutionReport) -> ReportOutcome:
        if attempt.ended or attempt.final_exec_type is not None:
            return ReportOutcome(changed=False)  # a second end report: the first one counts
        if report.cum_quantity > attempt.quantity:
            raise Refusal(f"venue reports {report.cum_quantity} filled of {attempt.quantity}")
        if report.cum_quantity < attempt.filled_quantity:
            raise Refusal(
                f"venue reports {report.cum_quantity} filled, {attempt.filled_quantity} applied"
            )
        attempt.final_exec_type = report.exec_type
        attempt.final_cum_quantity = report.cum_quantity
        attempt.reason = report.reason
        if report.cum_quantity > attempt.filled_quantity:
            # Fills are still on their way (reports were reordered): end when they are in.
            return ReportOutcome(changed=False)
        return ReportOutcome(changed=True, attempt_ended=self._close(attempt))

    def _close(self, attempt: Attempt) -> bool:
        if attempt.final_exec_type not in END_EVENT:
            raise IllegalTransition(
                f"attempt {attempt.attempt_id}", attempt.state, str(attempt.final_exec_type)
            )
        attempt.apply(END_EVENT[attempt.final_exec_type])
        return True


def _within(side: Side, price: Decimal, limit: Decimal) -> bool:
    return price <= limit if side is Side.BUY else price >= limit
