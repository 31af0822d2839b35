"""Pre-trade risk as plain domain code: each limit, its message and field, and properties."""

from dataclasses import fields
from datetime import UTC, datetime
from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kernel.errors import InvalidField
from trading.domain.errors import RiskRefused
from trading.domain.lifecycle import OrderState
from trading.domain.orders import Order, OrderType, Side, TimeInForce
from trading.domain.risk import (
    LIMIT_FIELD,
    LIMIT_NAMES,
    Exposure,
    Limits,
    ProposedOrder,
    check_order,
    exposure_minor,
    order_exposure,
    reference_price,
    resolve,
)

NONE = Exposure()
SEED_LIMITS = Limits(
    max_order_quantity=D(25),
    max_order_notional=D(250_000),
    max_open_notional=D(1_000_000),
    max_position=D(100),
    price_band=D("0.05"),
    orders_per_second=500,
)


def btc(side="buy", quantity="3", price="10000", is_limit=True) -> ProposedOrder:
    return ProposedOrder(Side(side), D(quantity), D(price), is_limit, "BTC", "USD", D("0.01"))


def refusal(order, limits=SEED_LIMITS, exposure=NONE, reference=D("9980"), rate=0) -> RiskRefused:
    with pytest.raises(RiskRefused) as caught:
        check_order(order, limits, exposure, reference, rate)
    return caught.value


def test_the_seed_order_passes_the_default_limits():
    check_order(btc(), SEED_LIMITS, NONE, D("9980"), 0)


def test_a_quantity_over_the_limit_names_the_field_the_quantity_and_the_limit():
    refused = refusal(btc(quantity="50"))
    assert (refused.field, refused.limit) == ("quantity", "max_order_quantity")
    assert refused.message == "quantity 50 is over the limit 25 BTC per order (max_order_quantity)"
    assert isinstance(refused, InvalidField)  # a 400 at the edge, like every bad value


def test_the_order_notional_is_quantity_times_price():
    check_order(btc(quantity="25", price="10000"), SEED_LIMITS, NONE, D("9990"), 0)
    refused = refusal(btc(quantity="25", price="10000.01"), reference=D("9990"))
    assert (refused.field, refused.limit) == ("quantity", "max_order_notional")
    assert refused.message == (
        "notional 250,000.25 USD (25 x 10000.01) is over the limit 250,000 USD per order "
        "(max_order_notional)"
    )


def test_a_buy_limit_far_above_the_best_ask_is_a_fat_finger():
    refused = refusal(btc(price="10479.01"))
    assert (refused.field, refused.limit) == ("limit_price", "price_band")
    assert refused.message == (
        "limit_price 10479.01 is more than 5% above the last venue price 9980: at most 10479 "
        "(price_band)"
    )
    check_order(btc(price="10479"), SEED_LIMITS, NONE, D("9980"), 0)  # 9980 x 1.05 exactly


def test_a_sell_limit_far_below_the_best_bid_is_a_fat_finger():
    refused = refusal(btc("sell", price="9000"), reference=D("9975"))
    assert refused.limit == "price_band"
    assert "below the last venue price 9975: at least 9476.25" in refused.message
    check_order(btc("sell", price="9476.25"), SEED_LIMITS, NONE, D("9975"), 0)


def test_passive_limits_and_market_orders_are_not_banded():
    check_order(btc(price="9000"), SEED_LIMITS, NONE, D("9980"), 0)  # rests below the market
    check_order(btc("sell", price="11000"), SEED_LIMITS, NONE, D("9975"), 0)
    market = btc(price="10479.99", is_limit=False)  # its protective price is its own collar
    check_order(market, SEED_LIMITS, NONE, D("9980"), 0)


def test_no_known_price_means_no_band():
    check_order(btc(price="20000", quantity="1"), SEED_LIMITS, NONE, None, 0)


def test_open_notional_counts_the_open_orders_of_both_sides():
    exposure = Exposure(open_notional=D(980_000))
    refused = refusal(btc(quantity="2.5"), exposure=exposure)
    assert (refused.field, refused.limit) == ("quantity", "max_open_notional")
    assert "open orders would reach 1,005,000 USD (now 980,000)" in refused.message
    check_order(btc(quantity="2"), SEED_LIMITS, exposure, D("9980"), 0)


def test_position_is_checked_as_if_the_open_orders_on_its_side_filled():
    long = Exposure(position=D(90), open_buy_quantity=D(8), open_sell_quantity=D(50))
    refused = refusal(btc(quantity="3"), exposure=long)
    assert refused.limit == "max_position"
    assert "position would reach 101 BTC" in refused.message
    check_order(btc(quantity="2"), SEED_LIMITS, long, D("9980"), 0)
    check_order(btc("sell", quantity="25", price="9980"), SEED_LIMITS, long, D("9980"), 0)
    short = Exposure(position=D(-80), open_sell_quantity=D(10))
    assert refusal(btc("sell", "11", "9980"), exposure=short).limit == "max_position"


def test_an_order_towards_flat_passes_even_over_the_position_limit():
    over = Exposure(position=D(120))  # staff lowered the limit below the position
    check_order(btc("sell", "5", "9980"), SEED_LIMITS, over, D("9980"), 0)
    assert refusal(btc("buy", "1"), exposure=over).limit == "max_position"


def test_orders_per_second_is_a_refusal_of_no_field():
    refused = refusal(btc(), rate=500)
    assert (refused.field, refused.limit) == ("non_field_errors", "orders_per_second")
    assert "limit is 500 per second" in refused.message
    check_order(btc(), SEED_LIMITS, NONE, D("9980"), 499)


def test_no_limits_let_any_sane_order_through():
    check_order(btc(quantity="9000", price="1000"), Limits(), NONE, D("1"), 10**6)


def test_a_notional_that_no_counter_could_hold_is_refused_whatever_the_limits():
    refused = refusal(btc(quantity="1000000", price="10000"), limits=Limits(), reference=None)
    assert refused.limit == "max_order_notional"


def test_narrower_scopes_override_field_by_field():
    everyone = Limits(max_order_quantity=D(25), orders_per_second=500)
    btc_all = Limits(price_band=D("0.05"))
    alice = Limits(max_order_quantity=D(2))
    assert resolve([alice, None, btc_all, everyone]) == Limits(
        max_order_quantity=D(2), price_band=D("0.05"), orders_per_second=500
    )
    assert resolve([None, None, None, None]) == Limits()


def test_reference_is_the_touch_the_order_would_trade_against():
    bids, asks = [D("9970"), D("9975")], [D("9980"), D("9985")]
    assert reference_price(Side.BUY, bids, asks) == D("9980")
    assert reference_price(Side.SELL, bids, asks) == D("9975")
    assert reference_price(Side.BUY, bids, []) == D("9975")
    assert reference_price(Side.SELL, [], asks) == D("9980")
    assert reference_price(Side.BUY, [], []) is None


def test_every_limit_has_a_field():
    assert set(LIMIT_FIELD) == set(LIMIT_NAMES) == {f.name for f in fields(Limits)}


def _order(quantity="3", filled="0", limit="10000", state=OrderState.WORKING) -> Order:
    now = datetime(2026, 11, 25, tzinfo=UTC)
    return Order(
        order_id="O1",
        trader_id="T1",
        client_order_id=None,
        instrument="BTC-USD",
        side=Side.BUY,
        order_type=OrderType.LIMIT,
        time_in_force=TimeInForce.GTC,
        quantity=D(quantity),
        limit_price=D(limit),
        protect_price=D(limit),
        venue=None,
        created_at=now,
        updated_at=now,
        filled_quantity=D(filled),
        state=state,
    )


def test_an_order_is_exposed_by_what_is_left_until_it_ends():
    assert order_exposure(_order(filled="1.2")) == (D("1.8"), D(18_000))
    assert exposure_minor(_order(filled="1.2")) == (180_000_000, 1_800_000_000_000)
    assert order_exposure(_order(filled="1.2", state=OrderState.CANCELED)) == (0, 0)


# --- properties ---------------------------------------------------------------------------
quantities = st.decimals(min_value="0.0001", max_value=100, places=4)
prices = st.decimals(min_value="0.01", max_value=20_000, places=2)
caps = st.none() | st.decimals(min_value=0, max_value=2_000_000, places=2)
limit_sets = st.builds(
    Limits,
    max_order_quantity=caps,
    max_order_notional=caps,
    max_open_notional=caps,
    max_position=caps,
    price_band=st.none() | st.decimals(min_value=0, max_value="0.5", places=3),
    orders_per_second=st.none() | st.integers(min_value=0, max_value=1000),
)
exposures = st.builds(
    Exposure,
    position=st.decimals(min_value=-100, max_value=100, places=4),
    open_buy_quantity=st.decimals(min_value=0, max_value=100, places=4),
    open_sell_quantity=st.decimals(min_value=0, max_value=100, places=4),
    open_notional=st.decimals(min_value=0, max_value=2_000_000, places=2),
)
orders = st.builds(
    btc, st.sampled_from(["buy", "sell"]), quantities.map(str), prices.map(str), st.booleans()
)
references = st.none() | prices
rates = st.integers(min_value=0, max_value=1000)


def passes(order, limits, exposure, reference, rate) -> RiskRefused | None:
    try:
        check_order(order, limits, exposure, reference, rate)
    except RiskRefused as refused:
        return refused
    return None


def breaks(order, limits, exposure, reference, rate) -> set[str]:
    """Every limit the order breaks, each written out on its own (the oracle)."""
    notional = order.quantity * order.price
    worst = (
        exposure.position + exposure.open_buy_quantity + order.quantity
        if order.side is Side.BUY
        else exposure.position - exposure.open_sell_quantity - order.quantity
    )
    found = set()
    if limits.orders_per_second is not None and rate >= limits.orders_per_second:
        found.add("orders_per_second")
    if limits.max_order_quantity is not None and order.quantity > limits.max_order_quantity:
        found.add("max_order_quantity")
    if limits.max_order_notional is not None and notional > limits.max_order_notional:
        found.add("max_order_notional")
    open_total = exposure.open_notional + notional
    if limits.max_open_notional is not None and open_total > limits.max_open_notional:
        found.add("max_open_notional")
    before = worst - order.quantity if order.side is Side.BUY else worst + order.quantity
    over = limits.max_position is not None and abs(worst) > limits.max_position
    if over and abs(worst) > abs(before):  # an order towards flat always passes
        found.add("max_position")
    if limits.price_band is not None and reference is not None and order.is_limit:
        if order.side is Side.BUY and order.price > reference * (1 + limits.price_band):
            found.add("price_band")
        if order.side is Side.SELL and order.price < reference * (1 - limits.price_band):
            found.add("price_band")
    return found


@given(orders, limit_sets, exposures, references, rates)
def test_an_order_is_refused_exactly_when_it_breaks_a_limit_and_the_refusal_names_one(
    order, limits, exposure, reference, rate
):
    refused = passes(order, limits, exposure, reference, rate)
    broken = breaks(order, limits, exposure, reference, rate)
    if refused is None:
        assert not broken
    else:
        assert refused.limit in broken
        assert refused.message.endswith(f"({refused.limit})")
        assert refused.field == LIMIT_FIELD[refused.limit]


@given(orders, limit_sets, limit_sets, exposures, references, rates)
def test_adding_a_scope_of_limits_never_lets_through_what_was_refused(
    order, wide, narrow, exposure, reference, rate
):
    # Only where the narrower scope is at least as strict, field by field.
    stricter = {}
    for name in LIMIT_NAMES:
        a, b = getattr(wide, name), getattr(narrow, name)
        stricter[name] = a if b is None else (b if a is None else min(a, b))
    combined = Limits(**stricter)
    if passes(order, wide, exposure, reference, rate) is not None:
        assert passes(order, combined, exposure, reference, rate) is not None


@given(orders, limit_sets, exposures, references, rates, st.integers(1, 4))
def test_a_smaller_order_passes_when_a_bigger_one_on_the_same_terms_does(
    order, limits, exposure, reference, rate, divisor
):
    smaller_quantity = max(D("0.0001"), (order.quantity / divisor).quantize(D("0.0001")))
    smaller = ProposedOrder(
        order.side, smaller_quantity, order.price, order.is_limit, "BTC", "USD", D("0.01")
    )
    if passes(order, limits, exposure, reference, rate) is None:
        assert passes(smaller, limits, exposure, reference, rate) is None
