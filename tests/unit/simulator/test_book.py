"""The simulator's matching: IOC against the book, level by level, never past the limit."""

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from venues.simulator.book import Book

D = Decimal


def test_the_seed_buy_takes_1_2_at_9980_and_leaves_the_rest():
    book = Book.from_levels([["9980", "1.2"]], [])
    assert book.take("buy", D("3.0"), D("10000")) == [(D("9980"), D("1.2"))]
    assert book.asks == []


def test_a_buy_walks_levels_best_first_and_stops_at_its_limit():
    book = Book.from_levels([["101", "1"], ["100", "1"], ["102", "5"]], [])
    assert book.take("buy", D("3"), D("101.5")) == [(D("100"), D("1")), (D("101"), D("1"))]
    assert book.asks == [[D("102"), D("5")]]


def test_a_market_sell_hits_bids_at_any_price():
    book = Book.from_levels([], [["99", "1"], ["98", "1"]])
    assert book.take("sell", D("1.5"), None) == [(D("99"), D("1")), (D("98"), D("0.5"))]


levels = st.lists(
    st.tuples(st.decimals("1", "200", places=2), st.decimals("0.001", "10", places=3)),
    max_size=6,
)


@given(levels, st.decimals("0.001", "50", places=3), st.decimals("1", "200", places=2))
def test_fills_never_exceed_the_order_the_book_or_the_limit(asks, quantity, limit):
    book = Book.from_levels([[str(p), str(q)] for p, q in asks], [])
    before = sum((q for _, q in book.asks), D(0))
    fills = book.take("buy", quantity, limit)
    filled = sum((q for _, q in fills), D(0))
    assert filled <= quantity
    assert all(price <= limit for price, _ in fills)
    assert before - sum((q for _, q in book.asks), D(0)) == filled  # liquidity consumed = filled
