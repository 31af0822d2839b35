"""The simulator's book: parsing what the control API sends, and taking liquidity from it."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from venues.simulator.book import BadBook, Book, Fill, Level
from venues.simulator.decimals import BadNumber, fee_text, plain, positive, taker_fee

D = Decimal


def test_the_seed_buy_takes_1_2_at_9980_and_empties_the_ask():
    book = Book.parse([["9980", "1.2"]], [["9970", "2"]])
    assert book.take("buy", D("3.0"), D("10000")) == [Fill(D("9980"), D("1.2"))]
    assert book.asks == ()
    assert book.to_wire() == {"asks": [], "bids": [["9970", "2"]]}


def test_a_buy_walks_the_asks_best_first_one_fill_per_level_and_stops_at_its_limit():
    book = Book.parse([["101", "1"], ["100", "1"], ["102", "5"]], [])
    assert book.take("buy", D("3"), D("101.5")) == [Fill(D("100"), D("1")), Fill(D("101"), D("1"))]
    assert book.asks == (Level(D("102"), D("5")),)


def test_a_limit_equal_to_the_level_price_takes_it():
    book = Book.parse([], [["99.5", "2"]])
    assert book.take("sell", D("1"), D("99.5")) == [Fill(D("99.5"), D("1"))]
    assert book.bids == (Level(D("99.5"), D("1")),)


def test_a_sell_never_goes_below_its_limit():
    book = Book.parse([], [["99", "1"], ["98", "1"]])
    assert book.take("sell", D("2"), D("98.5")) == [Fill(D("99"), D("1"))]
    assert book.bids == (Level(D("98"), D("1")),)


def test_a_market_order_takes_any_price_until_the_book_is_empty():
    book = Book.parse([], [["99", "1"], ["98", "1"]])
    assert book.take("sell", D("1.5"), None) == [Fill(D("99"), D("1")), Fill(D("98"), D("0.5"))]
    assert book.take("sell", D("5"), None) == [Fill(D("98"), D("0.5"))]
    assert book.take("sell", D("5"), None) == []


def test_quantities_stay_exact_decimals():
    book = Book.parse([["0.3", "0.1"], ["0.30000001", "0.2"]], [])
    fills = book.take("buy", D("0.30000000"), None)
    assert sum((fill.quantity for fill in fills), D(0)) == D("0.3")  # 0.1 + 0.2, not 0.30000000004
    assert book.asks == ()
    assert all(isinstance(fill.price, Decimal) for fill in fills)


def test_the_book_is_written_best_first_in_plain_digits():
    book = Book.parse([["2001", "20"], ["2000", "10.50"]], [["1995", "10.000"], ["1996", "3"]])
    assert book.to_wire() == {
        "asks": [["2000", "10.5"], ["2001", "20"]],
        "bids": [["1996", "3"], ["1995", "10"]],
    }


@pytest.mark.parametrize(
    ("asks", "bids", "why"),
    [
        ([["-1", "1"]], [], "positive"),
        ([["0", "1"]], [], "positive"),
        ([["10", "abc"]], [], "decimal"),
        ([["10", "NaN"]], [], "decimal"),
        ([["10", "1.000000001"]], [], "8 decimal places"),
        ([["1e13", "1"]], [], "decimal"),
        ([["10000000000000", "1"]], [], "at most"),
        ([["10"]], [], "pair"),
        ("10", [], "list"),
        ([["10", True]], [], "decimal"),
        ([["10", "1"], ["10", "2"]], [], "two levels at one price"),
        ([["10", "1"]], [["10", "1"]], "crossed"),
    ],
)
def test_a_bad_book_is_refused_with_its_reason(asks, bids, why):
    with pytest.raises(BadBook, match=why):
        Book.parse(asks, bids)


def test_numbers_from_json_may_be_decimals_or_ints():
    book = Book.parse([[D("9980.5"), 2]], None)
    assert book.asks == (Level(D("9980.5"), D("2")),)


def test_the_taker_fee_is_quantity_times_price_times_rate_rounded_half_up_to_8_places():
    assert taker_fee(D("1.2"), D("9980"), D("0.001")) == D("11.976")
    assert fee_text(taker_fee(D("1.2"), D("9980"), D("0.001"))) == "11.97600000"
    assert fee_text(taker_fee(D("1.8"), D("9985"), D("0.001"))) == "17.97300000"
    # exactly half a unit of the 8th place rounds up (half-even would give 0)
    assert taker_fee(D("0.000005"), D("1"), D("0.001")) == D("0.00000001")
    assert taker_fee(D("0.000015"), D("1"), D("0.001")) == D("0.00000002")
    assert taker_fee(D("0.0000049"), D("1"), D("0.001")) == D("0")
    assert fee_text(D(0)) == "0.00000000"
    # the largest order the simulator takes still gets an exact fee
    big = taker_fee(D("999999999999.99999999"), D("999999999999.99999999"), D("0.001"))
    assert big == D("999999999999999999980.00000000")  # (1e12 - 1e-8)^2 / 1000


def test_plain_never_writes_an_exponent():
    assert plain(D("1E+3")) == "1000"
    assert plain(D("3.0")) == "3"
    assert plain(D("0E-8")) == "0"
    assert plain(D("0.00000001")) == "0.00000001"


def test_positive_refuses_booleans_and_floats_in_text():
    with pytest.raises(BadNumber):
        positive(True, "quantity")
    with pytest.raises(BadNumber):
        positive("1e3", "quantity")
    assert positive(" 1.5 ", "quantity") == D("1.5")


prices = st.decimals("1", "200", places=2)
sizes = st.decimals("0.001", "10", places=3)


@st.composite
def books(draw):
    asks = draw(st.dictionaries(prices, sizes, max_size=8))
    bids = draw(st.dictionaries(prices, sizes, max_size=8))
    if asks and bids:  # uncross: keep only bids below the lowest ask
        bids = {p: q for p, q in bids.items() if p < min(asks)}
    return (
        [[str(p), str(q)] for p, q in asks.items()],
        [[str(p), str(q)] for p, q in bids.items()],
    )


@given(
    books(),
    st.sampled_from(["buy", "sell"]),
    st.decimals("0.001", "60", places=3),
    st.one_of(st.none(), prices),
)
def test_taking_never_exceeds_the_order_the_book_or_the_limit(book_levels, side, quantity, limit):
    book = Book.parse(*book_levels)
    before = book.depth(side)
    fills = book.take(side, quantity, limit)
    filled = sum((fill.quantity for fill in fills), D(0))
    assert filled <= quantity
    assert before - book.depth(side) == filled  # liquidity consumed = filled
    assert all(fill.quantity > 0 for fill in fills)
    assert len({fill.price for fill in fills}) == len(fills)  # one fill per level
    if limit is not None:
        assert all(f.price <= limit if side == "buy" else f.price >= limit for f in fills)
    walked = [fill.price for fill in fills]
    assert walked == sorted(walked, reverse=side == "sell")  # best first
    if filled < quantity:  # it stopped because nothing is left at its price
        rest = book.asks if side == "buy" else book.bids
        assert not rest or (
            limit is not None
            and (rest[0].price > limit if side == "buy" else rest[0].price < limit)
        )
