"""Order requests as the trading API takes them, and the venue order's lifecycle table."""

from decimal import Decimal

import pytest

from venues.simulator.book import Fill
from venues.simulator.orders import (
    BadMove,
    BadOrder,
    ChildOrder,
    OrderRequest,
    Status,
    VenueFill,
)

D = Decimal


def body(**overrides):
    return {
        "client_order_id": "O1:EA-1",
        "instrument": "BTC-USD",
        "side": "buy",
        "quantity": "3.0",
        "type": "limit",
        "price": "10000",
        "time_in_force": "IOC",
        **overrides,
    }


def test_a_limit_request_parses_to_decimals():
    request = OrderRequest.parse(body())
    assert request == OrderRequest(
        "O1:EA-1", "BTC-USD", "buy", D("3.0"), "limit", D("10000"), "IOC"
    )


def test_type_and_time_in_force_default_to_limit_and_ioc():
    request = OrderRequest.parse(body(type=None, time_in_force=None))
    assert (request.type, request.time_in_force) == ("limit", "IOC")


def test_a_market_order_has_no_price():
    request = OrderRequest.parse(body(type="market", price=None))
    assert request.price is None


@pytest.mark.parametrize(
    ("overrides", "why"),
    [
        ({"client_order_id": ""}, "client_order_id"),
        ({"client_order_id": "a b"}, "client_order_id"),
        ({"client_order_id": "x" * 65}, "client_order_id"),
        ({"client_order_id": 7}, "client_order_id"),
        ({"instrument": "BTCUSD"}, "instrument"),
        ({"side": "hold"}, "side"),
        ({"type": "stop"}, "type"),
        ({"time_in_force": "FOK"}, "time_in_force"),
        ({"quantity": "0"}, "quantity must be positive"),
        ({"quantity": "-1"}, "quantity must be positive"),
        ({"quantity": None}, "quantity"),
        ({"quantity": "1.123456789"}, "8 decimal places"),
        ({"price": None}, "price"),
        ({"price": "abc"}, "price"),
        ({"type": "market"}, "a market order has no price"),
        ({"type": "market", "price": None, "time_in_force": "GTC"}, "a market order is IOC"),
    ],
)
def test_a_bad_request_is_refused_naming_the_field(overrides, why):
    with pytest.raises(BadOrder, match=why):
        OrderRequest.parse(body(**overrides))


def test_client_order_ids_take_the_platforms_form():
    for coid in ("0f8e4c1a-9b7e-4d2c-8a11-3f2b1c0d9e8f:EA-12", "a", "A.b_c:D-1", "x" * 64):
        assert OrderRequest.parse(body(client_order_id=coid)).client_order_id == coid


def order(quantity="3"):
    return ChildOrder(OrderRequest.parse(body(quantity=quantity)), "SIM-A-O-s-000001")


def venue_fill(quantity, price="9980"):
    return VenueFill("SIM-A-F-s-000001", D(quantity), D(price), D("0"), "USD", "t")


def test_fills_move_new_to_partially_filled_to_filled():
    child = order()
    child.fill(Fill(D("9980"), D("1.2")), venue_fill("1.2"))
    assert (child.status, child.cum_qty, child.leaves_qty) == (
        Status.PARTIALLY_FILLED,
        D("1.2"),
        D("1.8"),
    )
    child.fill(Fill(D("9985"), D("1.8")), venue_fill("1.8"))
    assert (child.status, child.cum_qty, child.leaves_qty) == (Status.FILLED, D("3.0"), D("0"))


def test_an_ended_order_has_nothing_left_and_moves_no_more():
    child = order()
    child.fill(Fill(D("9980"), D("1.2")), venue_fill("1.2"))
    child.expire()
    assert (child.status, child.cum_qty, child.leaves_qty) == (Status.EXPIRED, D("1.2"), D("0"))
    with pytest.raises(BadMove):
        child.cancel()
    with pytest.raises(BadMove):
        child.fill(Fill(D("9980"), D("1")), venue_fill("1"))


def test_a_fill_larger_than_what_is_left_is_a_bug():
    with pytest.raises(BadMove):
        order("1").fill(Fill(D("9980"), D("2")), venue_fill("2"))


def test_only_a_new_order_can_be_rejected():
    child = order()
    child.reject("no")
    assert (child.status, child.reason, child.leaves_qty) == (Status.REJECTED, "no", D("0"))
    assert child.ack()["status"] == "rejected" and child.ack()["reason"] == "no"
    with pytest.raises(BadMove):
        child.reject("again")
