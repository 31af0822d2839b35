from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from trading.domain.orders import Side
from trading.domain.positions import Position

fills = st.lists(
    st.tuples(
        st.sampled_from([Side.BUY, Side.SELL]),
        st.decimals(min_value="0.0001", max_value=5, places=4),
        st.decimals(min_value=9000, max_value=11000, places=2),
    ),
    max_size=30,
)


def test_seed_position_is_three_btc_at_9983():
    position = Position("T1", "BTC-USD")
    position.apply_fill(Side.BUY, Decimal("1.2"), Decimal("9980"))
    position.apply_fill(Side.BUY, Decimal("1.8"), Decimal("9985"))
    assert position.quantity == 3
    assert position.average_cost == 9983
    assert position.unrealized_pnl(Decimal("9990")) == Decimal("21")


def test_closing_a_long_realizes_the_difference():
    position = Position("T1", "BTC-USD")
    position.apply_fill(Side.BUY, Decimal("2"), Decimal("100"))
    position.apply_fill(Side.SELL, Decimal("3"), Decimal("110"))
    assert position.realized_pnl == 20
    assert position.quantity == -1 and position.average_cost == 110


@given(fills)
def test_quantity_is_signed_fills_and_a_flat_position_has_realized_all_cash(sequence):
    position = Position("T1", "BTC-USD")
    cash = Decimal(0)
    for side, qty, price in sequence:
        position.apply_fill(side, qty, price)
        cash += -qty * price if side is Side.BUY else qty * price
    expected = sum((q if s is Side.BUY else -q for s, q, _ in sequence), Decimal(0))
    assert position.quantity == expected
    # Cash taken in equals realized PnL minus the cost still open (rounding: 1e-8 per close).
    assert abs(cash - (position.realized_pnl - position.cost_basis)) <= Decimal("1e-8") * len(
        sequence
    )
