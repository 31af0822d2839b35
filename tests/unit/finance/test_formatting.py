"""Money as the finance pages print it."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from backoffice.finance.formatting import compact_usd, percent, usd, usd_unit


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        ("38", "$38"),
        ("74", "$74"),
        ("156", "$156"),
        ("420", "$420"),
        ("1140", "$1.14k"),
        ("2220", "$2.22k"),
        ("4680", "$4.68k"),
        ("12600", "$12.6k"),
        ("13000", "$13k"),
        ("13020", "$13k"),
        ("20640", "$20.6k"),
        ("999.4", "$999"),
        ("999.6", "$1k"),  # rounds up into the next unit
        ("999999", "$1M"),
        ("1234567", "$1.23M"),
        ("37.63", "$37.6"),
        ("0", "$0"),
        ("-1140", "-$1.14k"),
    ],
)
def test_compact_usd(amount, text):
    assert compact_usd(Decimal(amount)) == text


@given(st.decimals(min_value=0, max_value=Decimal("1e11"), places=6, allow_nan=False))
def test_compact_usd_keeps_three_significant_digits_at_most(amount):
    text = compact_usd(amount)
    assert text.startswith("$")
    digits = text.strip("$kMB").replace(".", "").lstrip("0")
    assert len(digits.rstrip("0")) <= 3


def test_usd_groups_and_rounds_half_up():
    assert usd(Decimal("2000")) == "$2,000.00"
    assert usd(Decimal("13500"), 0) == "$13,500"
    assert usd(Decimal("0.005")) == "$0.01"
    assert usd(Decimal("-2.5"), 0) == "-$3"


def test_usd_unit_shows_fractions_of_a_cent():
    assert usd_unit(Decimal("140")) == "$140.00"
    assert usd_unit(Decimal("0.0423456")) == "$0.0423"
    assert usd_unit(Decimal("0")) == "$0.00"


def test_percent_of_a_zero_whole_is_a_dash():
    assert percent(Decimal("2220"), Decimal("2000")) == "111%"
    assert percent(Decimal("1"), Decimal("0")) == "–"
