"""Working an order: after every change, decide its next attempt, its end, or that it rests.

Shared by placing, applying reports, cancels and book updates, so one rule decides all.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from contracts.registry import build
from contracts.venue import CancelAttemptV1, PlaceAttemptV1
from ledger import journal
from trading import outbox as ob
from trading.domain.instruments import Instrument
from trading.domain.money import display, round_down
from trading.domain.orders import (
    Attempt,
    AttemptState,
    Fill,
    Order,
    OrderEvent,
    OrderState,
    OrderType,
    Side,
    TimeInForce,
)
from trading.domain.reservations import hold_asset, hold_minor
from trading.repository import Repository, VenueRecord
from trading.snapshots import order_delta
from venues.routing import choose_route

# A bound on attempts, so a venue that keeps answering "expired" cannot loop an order forever.
MAX_ATTEMPTS = 50
# The highest fee any venue may charge: reservations for buys cover it.
MAX_FEE_RATE = Decimal("0.001")


def work(
    repo: Repository, box: ob.Outbox, order: Order, instrument: Instrument, now: datetime
) -> None:
    """Route the next attempt, end the order, or let it rest; never while an attempt is active."""
    if order.ended or order.active_attempts:
        return
    if order.state is OrderState.CANCEL_PENDING:
        order.end(OrderEvent.CANCELED)
        return
    quantity = round_down(order.remaining_quantity, instrument.quantity_step)
    route = None
    venues = repo.venues()
    if quantity >= instrument.min_quantity and len(order.attempts) < MAX_ATTEMPTS:
        route = choose_route(
            buy=order.side is Side.BUY,
            remaining=quantity,
            limit_price=order.protect_price,
            quotes=repo.quotes(order.instrument),
            venues=[v.status for v in venues],
            pinned_venue=order.venue,
            stale=_stale_quotes(order.attempts),
        )
    if route is not None:
        attempt = order.add_attempt(route.venue, route.quantity, now, route.quote_version)
        box.write(place_command(order, attempt, instrument, now))
        return
    if order.order_type is OrderType.MARKET or order.time_in_force is TimeInForce.IOC:
        last = order.attempts[-1] if order.attempts else None
        rejected = last is not None and last.state is AttemptState.REJECTED
        reason = _no_route_reason(order, quantity, venues)
        order.end(OrderEvent.REJECTED if rejected else OrderEvent.EXPIRED, reason=reason)
    elif order.state is OrderState.NEW:
        order.apply(OrderEvent.WORKING)  # accepted and resting: nothing inside the limit now


def _stale_quotes(attempts: list[Attempt]) -> dict[str, int]:
    """Venues whose last attempt ended short on the quote version it was routed on."""
    stale: dict[str, int] = {}
    for attempt in attempts:
        if attempt.state is not AttemptState.FILLED:
            stale[attempt.venue] = max(stale.get(attempt.venue, -1), attempt.quote_version)
    return stale


def _no_route_reason(order: Order, quantity: Decimal, venues: list[VenueRecord]) -> str:
    """Why nothing could take the order: the operator's switches are named first."""
    if len(order.attempts) >= MAX_ATTEMPTS:
        return f"stopped after {MAX_ATTEMPTS} attempts"
    if not quantity:
        return "what is left is below the instrument's minimum size"
    considered = [v for v in venues if not order.venue or v.name == order.venue]
    down = [_unavailable(v) for v in considered if v.halted or v.circuit_open]
    if down and len(down) == len(considered):
        return "; ".join(down)
    if down:
        return f"no venue has liquidity inside the limit ({'; '.join(down)})"
    return "no venue has liquidity inside the limit"


def _unavailable(venue: VenueRecord) -> str:
    return f"{venue.name} is halted" if venue.halted else f"{venue.name}'s circuit is open"


def sync_hold(order: Order, instrument: Instrument, held_before: int, repo: Repository) -> None:
    """Move the trader's hold to what the order needs now (released when it ends)."""
    journal.change_hold(
        repo.tr,
        order.trader_id,
        hold_asset(order, instrument),
        hold_minor(order, MAX_FEE_RATE) - held_before,
    )


def publish_delta(
    box: ob.Outbox, order: Order, now: datetime, last_fill: Fill | None = None
) -> None:
    box.write(
        ob.OutboxMessage(
            message_id=f"{order.order_id}:{order.seq}:delta",
            topic=ob.ORDER_EVENTS,
            key=order.order_id,
            payload=order_delta(order, last_fill),
            created_at=now,
        )
    )


def _command(
    topic: str, order: Order, attempt: Attempt, now: datetime, **details: object
) -> ob.OutboxMessage:
    """A command for the attempt's venue pool (queue venue.<VENUE>), keyed by the order."""
    action = "place" if topic == ob.PLACE_COMMAND else "cancel"
    kind: type[PlaceAttemptV1] | type[CancelAttemptV1] = (
        PlaceAttemptV1 if action == "place" else CancelAttemptV1
    )
    return ob.OutboxMessage(
        message_id=f"{order.order_id}:{attempt.attempt_id}:{action}",
        topic=topic,
        key=order.order_id,
        destination=f"venue.{attempt.venue}",
        created_at=now,
        payload=build(
            kind,
            {
                "order_id": order.order_id,
                "attempt_id": attempt.attempt_id,
                "client_order_id": order.venue_client_order_id(attempt),
                "venue": attempt.venue,
                **details,
            },
        ),
    )


def place_command(
    order: Order, attempt: Attempt, instrument: Instrument, now: datetime
) -> ob.OutboxMessage:
    return _command(
        ob.PLACE_COMMAND,
        order,
        attempt,
        now,
        instrument=instrument.symbol,
        side=order.side.value,
        quantity=display(attempt.quantity),
        type="limit",
        price=display(attempt.limit_price),
        time_in_force="IOC",
    )


def cancel_command(order: Order, attempt: Attempt, now: datetime) -> ob.OutboxMessage:
    return _command(ob.CANCEL_COMMAND, order, attempt, now)
