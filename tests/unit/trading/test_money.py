from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kernel.errors import InvalidField
from kernel.money import display, from_minor, parse_decimal, round_down, to_minor

amounts = st.decimals(min_value=-(10**9), max_value=10**9, places=8, allow_nan=False)


@given(amounts)
def test_minor_units_round_trip_exactly(amount):
    assert from_minor(to_minor(amount)) == amount


def test_an_amount_finer_than_a_minor_unit_is_a_bug():
    with pytest.raises(ValueError, match="minor units"):
        to_minor(Decimal("0.000000001"))


@pytest.mark.parametrize(
    "bad", [1.5, None, True, "abc", "NaN", "Infinity", "1e12", "1_000", " 3", "\u0663"]
)
def test_parse_decimal_refuses_what_is_not_an_exact_finite_number(bad):
    with pytest.raises(InvalidField) as error:
        parse_decimal(bad, field="quantity")
    assert error.value.field == "quantity"


@pytest.mark.parametrize(
    ("text", "expected"),
    [("3", "3"), ("3.0", "3"), ("3.00000000", "3"), ("0.1000", "0.1"), ("100", "100")],
)
def test_the_same_number_is_displayed_the_same_way(text, expected):
    assert display(parse_decimal(text, field="x")) == expected


@given(st.decimals(min_value=0, max_value=10**6, places=8))
def test_round_down_stays_on_the_step_and_below(value):
    step = Decimal("0.0001")
    rounded = round_down(value, step)
    assert rounded <= value < rounded + step
    assert rounded % step == 0
