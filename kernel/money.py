"""Exact money and quantity arithmetic: Decimal in the domain, integer minor units in the ledger."""

from __future__ import annotations

import re
from decimal import ROUND_CEILING, ROUND_DOWN, ROUND_HALF_UP, Decimal, InvalidOperation
from typing import overload

from kernel.errors import InvalidField

# Every asset is kept in units of 1e-8 (satoshi-sized): fills of step 0.0001 at tick 0.01 and
# fees rounded by the venue to 8 decimals are all exact in it.
MINOR_UNIT_EXPONENT = 8
MINOR_UNIT = Decimal(1).scaleb(-MINOR_UNIT_EXPONENT)
# Larger numbers are refused, so nothing can overflow an int64 balance in minor units.
MAX_AMOUNT = Decimal("1e10")
_PLAIN_DECIMAL = re.compile(r"-?[0-9]{1,20}(\.[0-9]{1,20})?")
# Bounds checked before any arithmetic: Decimal's context would otherwise raise Overflow
# (abs(Decimal("1e999999999"))) or spend unbounded time and memory on huge exponents.
MAX_DIGITS = 40
MAX_ADJUSTED_EXPONENT = 20  # |number| < 1e21
MIN_EXPONENT = -20  # no more than 20 decimal places


def within_bounds(number: Decimal) -> bool:
    """True when `number` is finite with a sane size and precision (safe for any arithmetic)."""
    if not number.is_finite():
        return False
    _, digits, exponent = number.as_tuple()
    return (
        len(digits) <= MAX_DIGITS
        and isinstance(exponent, int)
        and exponent >= MIN_EXPONENT
        and number.adjusted() <= MAX_ADJUSTED_EXPONENT
    )


def parse_decimal(value: object, *, field: str) -> Decimal:
    """A finite Decimal from a string, int or Decimal; floats are refused (they are not exact)."""
    if isinstance(value, bool) or isinstance(value, float) or value is None:
        raise InvalidField("must be a decimal number given as a string", field=field)
    if isinstance(value, str) and not _PLAIN_DECIMAL.fullmatch(value):
        raise InvalidField("must be a plain decimal number like 3.5", field=field)
    try:
        number = Decimal(value) if isinstance(value, str | int) else value
    except InvalidOperation:
        raise InvalidField("must be a decimal number", field=field) from None
    if not isinstance(number, Decimal) or not number.is_finite():
        raise InvalidField("must be a finite decimal number", field=field)
    if not within_bounds(number):
        raise InvalidField(
            f"must be less than {MAX_AMOUNT:,.0f} with at most {-MIN_EXPONENT} decimal places",
            field=field,
        )
    if abs(number) >= MAX_AMOUNT:
        raise InvalidField(f"must be less than {MAX_AMOUNT:,.0f}", field=field)
    return number


def is_multiple(value: Decimal, step: Decimal) -> bool:
    return value % step == 0


def round_down(value: Decimal, step: Decimal) -> Decimal:
    """Largest multiple of `step` not above `value` (value >= 0)."""
    return (value / step).to_integral_value(rounding=ROUND_DOWN) * step


def to_minor(amount: Decimal) -> int:
    """Exact conversion to minor units; an amount finer than 1e-8 is a programming error."""
    scaled = amount.scaleb(MINOR_UNIT_EXPONENT)
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{amount} is not a whole number of minor units")
    return int(scaled)


def to_minor_ceiling(amount: Decimal) -> int:
    """Minor units rounded up: what a reservation must hold to cover `amount`."""
    return int(amount.scaleb(MINOR_UNIT_EXPONENT).to_integral_value(rounding=ROUND_CEILING))


def from_minor(units: int) -> Decimal:
    return Decimal(units).scaleb(-MINOR_UNIT_EXPONENT)


def round_fee(amount: Decimal) -> Decimal:
    """Fees are rounded half-up to 8 decimals, as the venues report them."""
    return amount.quantize(MINOR_UNIT, rounding=ROUND_HALF_UP)


def normalized(value: Decimal) -> Decimal:
    """The same number without trailing zeros ("3.00000000" -> "3"), never in exponent form."""
    result = value.normalize()
    return result.quantize(Decimal(1)) if result == result.to_integral() else result


@overload
def display(value: Decimal) -> str: ...
@overload
def display(value: None) -> None: ...
def display(value: Decimal | None) -> str | None:
    """Decimal as the API writes it: plain digits, no exponent."""
    return None if value is None else format(normalized(value), "f")
