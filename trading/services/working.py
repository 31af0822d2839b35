"""Working an order: after every change, decide its next attempt, its end, or that it rests.

Shared by placing, applying reports, cancels and book updates, so one rule decides all.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from contracts.registry import build
from contracts.venue import CancelAttemptV1, PlaceAttemptV1
from kernel.money import display, round_down
from ledger import journal
from trading import outbox as ob
from trading.domain.instruments import Instrument
from trading.domain.lifecycle import AttemptState, OrderEvent, OrderState
from trading.domain.orders import (
    Attempt,
    Fill,
    Order,
    OrderType,
    RoutingStrategy,
    Side,
    TimeInForce,
)
from trading.domain.reservations import hold_asset, hold_minor
from trading.domain.routing import Route, VenueQuote, choose_route
from trading.domain.routing_split import expected_depth, fill_ratio, split_routes
from trading.repository import Repository, VenueRecord
from trading.snapshots import order_delta

# A bound on attempts, so a venue that keeps answering "expired" cannot loop an order forever.
MAX_ATTEMPTS = 50
# The highest fee any venue may charge: reservations for buys cover it.
MAX_FEE_RATE = Decimal("0.001")
# A fill ratio is believed after this many ended attempts in the window (else taken as 1).
MIN_FILL_RATIO_ATTEMPTS = 3


def work(
    repo: Repository, box: ob.Outbox, order: Order, instrument: Instrument, now: datetime
) -> None:
    """Route the next attempt(s), end the order, or let it rest.

    The default strategy routes only when no attempt is active; the split strategy routes what
    no live attempt covers, to venues without one, so several attempts are out side by side.
    """
    if order.ended:
        return
    if order.strategy is RoutingStrategy.SPLIT:
        _work_split(repo, box, order, instrument, now)
        return
    if order.active_attempts:
        return
    if order.state is OrderState.CANCEL_PENDING:
        order.end(OrderEvent.CANCELED)
        return
    quantity = round_down(order.remaining_quantity, instrument.quantity_step)
    venues = repo.venues()
    routes, quotes = _routes(repo, order, instrument, quantity, venues, now)
    for route in routes:
        _send(box, order, instrument, route, quotes, now)
    if not routes:
        _no_route(order, quantity, venues)


def _work_split(
    repo: Repository, box: ob.Outbox, order: Order, instrument: Instrument, now: datetime
) -> None:
    """The split strategy: spread what no live attempt covers across the venues without one."""
    if order.state is OrderState.CANCEL_PENDING:
        if not order.active_attempts:
            order.end(OrderEvent.CANCELED)
        return
    free = round_down(order.remaining_quantity - order.working_quantity, instrument.quantity_step)
    venues = repo.venues()
    routes, quotes = _routes(repo, order, instrument, free, venues, now)
    for route in routes:
        _send(box, order, instrument, route, quotes, now)
    if routes or order.active_attempts:
        return  # what is out may still fill: the order ends only when nothing is at a venue
    _no_route(order, round_down(order.remaining_quantity, instrument.quantity_step), venues)


def _routes(
    repo: Repository,
    order: Order,
    instrument: Instrument,
    quantity: Decimal,
    venues: list[VenueRecord],
    now: datetime,
) -> tuple[list[Route], list[VenueQuote]]:
    """The route(s) for `quantity` by the order's strategy, and the quotes they were chosen from."""
    if quantity < instrument.min_quantity or len(order.attempts) >= MAX_ATTEMPTS:
        return [], []
    quotes = repo.quotes(order.instrument)
    buy = order.side is Side.BUY
    statuses = [v.status for v in venues]
    stale = _stale_quotes(order.attempts)
    if order.strategy is not RoutingStrategy.SPLIT:
        route = choose_route(
            buy=buy,
            remaining=quantity,
            limit_price=order.protect_price,
            quotes=quotes,
            venues=statuses,
            pinned_venue=order.venue,
            stale=stale,
        )
        return ([] if route is None else [route]), quotes
    routes = split_routes(
        buy=buy,
        quantity=quantity,
        limit_price=order.protect_price,
        quotes=quotes,
        venues=statuses,
        step=instrument.quantity_step,
        min_quantity=instrument.min_quantity,
        fill_ratios=_fill_ratios(repo, order.instrument, instrument, now),
        pinned_venue=order.venue,
        stale=stale,
        exclude={a.venue for a in order.active_attempts},
        max_routes=MAX_ATTEMPTS - len(order.attempts),
    )
    return routes, quotes


def _send(
    box: ob.Outbox,
    order: Order,
    instrument: Instrument,
    route: Route,
    quotes: list[VenueQuote],
    now: datetime,
) -> None:
    """One new attempt on `route` and its place command, in the same transaction."""
    quote = next((q for q in quotes if q.venue == route.venue), None)
    expected = None
    if quote is not None:
        expected = expected_depth(
            quote,
            buy=order.side is Side.BUY,
            limit_price=order.protect_price,
            quantity=route.quantity,
        )
    attempt = order.add_attempt(route.venue, route.quantity, now, route.quote_version, expected)
    box.write(place_command(order, attempt, instrument, now))


def _no_route(order: Order, quantity: Decimal, venues: list[VenueRecord]) -> None:
    """Nothing to send and nothing at a venue: IOC/market orders end, others rest."""
    if order.order_type is OrderType.MARKET or order.time_in_force is TimeInForce.IOC:
        last = order.attempts[-1] if order.attempts else None
        rejected = last is not None and last.state is AttemptState.REJECTED
        reason = _no_route_reason(order, quantity, venues)
        order.end(OrderEvent.REJECTED if rejected else OrderEvent.EXPIRED, reason=reason)
    elif order.state is OrderState.NEW:
        order.apply(OrderEvent.WORKING)  # accepted and resting: nothing inside the limit now


def _fill_ratios(
    repo: Repository, symbol: str, instrument: Instrument, now: datetime
) -> dict[str, Decimal]:
    """Each venue's fill ratio on this instrument over the last hour (1 without history)."""
    least = instrument.min_quantity * MIN_FILL_RATIO_ATTEMPTS
    return {
        venue: fill_ratio(expected, filled, min_expected=least)
        for venue, (attempts, expected, filled) in repo.venue_fills(symbol, now).items()
        if attempts >= MIN_FILL_RATIO_ATTEMPTS
    }


def record_attempt_end(repo: Repository, order: Order, attempt: Attempt, now: datetime) -> None:
    """Count an attempt that just ended in its venue's fill ratio (a trader's cancel is not)."""
    if attempt.expected_quantity is None or attempt.state is AttemptState.CANCELED:
        return
    repo.record_attempt_end(
        attempt.venue, order.instrument, attempt.expected_quantity, attempt.filled_quantity, now
    )


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
