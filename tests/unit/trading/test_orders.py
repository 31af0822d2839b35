"""The synthetic order's state machine, on its own (no store)."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from tests.support.reports import report
from trading.domain.errors import IllegalTransition, Refusal
from trading.domain.lifecycle import AttemptState, OrderState
from trading.domain.orders import Order, OrderType, Side, TimeInForce

T0 = datetime(2026, 11, 25, tzinfo=UTC)


def buy(quantity: str = "3.0", limit: str = "10000") -> Order:
    order = Order(
        order_id="O1",
        trader_id="T1",
        client_order_id=None,
        instrument="BTC-USD",
        side=Side.BUY,
        order_type=OrderType.LIMIT,
        time_in_force=TimeInForce.GTC,
        quantity=Decimal(quantity),
        limit_price=Decimal(limit),
        protect_price=Decimal(limit),
        venue=None,
        created_at=T0,
        updated_at=T0,
    )
    order.add_attempt("SIM-A", Decimal(quantity), T0)
    return order


def test_seed_partial_fill_then_expiry_ends_ea1_with_the_rest_left():
    order = buy()
    order.apply_report(report("O1", "EA-1", "SIM-A", "new", leaves="3.0"), "F1")
    assert order.state is OrderState.WORKING
    change = order.apply_report(
        report("O1", "EA-1", "SIM-A", "trade", cum="1.2", leaves="1.8", qty="1.2", price="9980"),
        "O1-F1",
    )
    assert change.fill is not None and change.fill.quantity == Decimal("1.2")
    assert order.state is OrderState.PARTIALLY_FILLED
    assert (order.filled_quantity, order.remaining_quantity) == (Decimal("1.2"), Decimal("1.8"))
    end = order.apply_report(report("O1", "EA-1", "SIM-A", "expired", cum="1.2"), "x")
    assert end.attempt_ended and order.attempts[0].state is AttemptState.EXPIRED


def test_expiry_that_overtakes_its_fill_waits_for_the_fill():
    order = buy()
    early_end = order.apply_report(report("O1", "EA-1", "SIM-A", "expired", cum="1.2"), "x")
    assert not early_end.changed and not order.attempts[0].ended
    fill = order.apply_report(
        report("O1", "EA-1", "SIM-A", "trade", cum="1.2", qty="1.2", price="9980"), "O1-F1"
    )
    assert fill.attempt_ended and order.attempts[0].state is AttemptState.EXPIRED


def test_ack_after_a_fill_changes_nothing():
    order = buy()
    order.apply_report(report("O1", "EA-1", "SIM-A", "trade", cum="1", qty="1", price="9980"), "F")
    late_ack = order.apply_report(report("O1", "EA-1", "SIM-A", "new"), "x")
    assert not late_ack.changed
    assert order.attempts[0].state is AttemptState.WORKING


@pytest.mark.parametrize(
    ("qty", "reason"), [("3.1", "overfill: attempt"), ("-1", "positive quantity")]
)
def test_impossible_fills_are_refused_and_change_nothing(qty, reason):
    order = buy()
    with pytest.raises(Refusal, match=reason):
        order.apply_report(report("O1", "EA-1", "SIM-A", "trade", qty=qty, price="9980"), "F")
    assert order.filled_quantity == 0 and order.attempts[0].filled_quantity == 0


def test_fill_worse_than_the_limit_is_refused():
    order = buy(limit="9000")
    with pytest.raises(Refusal, match="worse than the limit"):
        order.apply_report(report("O1", "EA-1", "SIM-A", "trade", qty="1", price="9980"), "F")


def test_report_for_another_venue_or_attempt_is_refused():
    order = buy()
    with pytest.raises(Refusal, match="unknown attempt"):
        order.apply_report(report("O1", "EA-9", "SIM-A", "new"), "x")
    with pytest.raises(Refusal, match="was sent to SIM-A"):
        order.apply_report(report("O1", "EA-1", "SIM-B", "new"), "x")


def test_cancel_with_an_attempt_at_a_venue_is_pending_until_the_venue_confirms():
    order = buy()
    order.request_cancel()
    assert order.state is OrderState.CANCEL_PENDING
    # A fill can still arrive: the venue filled before it saw the cancel.
    order.apply_report(report("O1", "EA-1", "SIM-A", "trade", cum="1", qty="1", price="9980"), "F")
    assert order.state is OrderState.CANCEL_PENDING
    order.apply_report(report("O1", "EA-1", "SIM-A", "canceled", cum="1"), "x")
    order.end("canceled")
    assert order.state is OrderState.CANCELED and order.filled_quantity == 1


def test_rejection_after_fills_ends_expired_with_what_it_filled():
    order = buy()
    order.apply_report(report("O1", "EA-1", "SIM-A", "trade", cum="1", qty="1", price="9980"), "F")
    order.apply_report(report("O1", "EA-1", "SIM-A", "expired", cum="1"), "x")
    order.end("rejected", reason="venue down")
    assert order.state is OrderState.EXPIRED


def test_attempts_side_by_side_never_put_more_in_flight_than_is_left():
    order = buy()
    order.attempts.clear()
    order.add_attempt("SIM-A", Decimal("1.2"), T0)
    order.add_attempt("SIM-B", Decimal("1.8"), T0)
    assert order.working_quantity == order.remaining_quantity == Decimal("3.0")
    with pytest.raises(IllegalTransition, match="in flight"):
        order.add_attempt("SIM-C", Decimal("0.0001"), T0)
    order.apply_report(report("O1", "EA-1", "SIM-A", "trade", cum="1", qty="1", price="9980"), "F1")
    order.apply_report(report("O1", "EA-1", "SIM-A", "expired", cum="1"), "F1")
    assert order.working_quantity == Decimal("1.8") and order.remaining_quantity == Decimal("2.0")
    order.add_attempt("SIM-C", Decimal("0.2"), T0)  # what EA-1 left is free again
    with pytest.raises(IllegalTransition, match="in flight"):
        order.add_attempt("SIM-C", Decimal("0.0001"), T0)
