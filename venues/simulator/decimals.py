"""Decimal in, Decimal out: parsing the wire's numbers, writing them back, the taker fee."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, localcontext

MAX_PLACES = 8  # no quantity or price finer than 1e-8
MAX_VALUE = Decimal(10) ** 12  # no quantity or price above a trillion
FEE_QUANTUM = Decimal("1e-8")
ZERO = Decimal(0)

_PLAIN = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")


class BadNumber(ValueError):
    """A number the simulator will not take; the message says which and why."""


def to_decimal(value: object, what: str) -> Decimal:
    """A decimal string ("9980", "1.2") or JSON number (already a Decimal or an int)."""
    if isinstance(value, bool):
        raise BadNumber(f"{what} must be a decimal string, not {value!r}")
    if isinstance(value, int | Decimal):
        number = Decimal(value)
    elif isinstance(value, str) and _PLAIN.fullmatch(value.strip()):
        try:
            number = Decimal(value.strip())
        except InvalidOperation:  # pragma: no cover - the pattern admits only valid numbers
            raise BadNumber(f"{what} is not a decimal: {value!r}") from None
    else:
        raise BadNumber(f'{what} must be a decimal string like "1.5", not {value!r}')
    if not number.is_finite():
        raise BadNumber(f"{what} must be finite")
    return number


def positive(value: object, what: str) -> Decimal:
    """A positive amount of at most 8 decimal places and at most 1e12."""
    number = to_decimal(value, what)
    if number <= 0:
        raise BadNumber(f"{what} must be positive, not {value!r}")
    if number > MAX_VALUE:
        raise BadNumber(f"{what} must be at most {MAX_VALUE:f}")
    exponent = number.normalize().as_tuple().exponent
    if isinstance(exponent, int) and exponent < -MAX_PLACES:
        raise BadNumber(f"{what} has more than {MAX_PLACES} decimal places: {value!r}")
    return number


def fraction(value: object, what: str) -> Decimal:
    """A rate between 0 and 1 inclusive."""
    number = to_decimal(value, what)
    if not ZERO <= number <= 1:
        raise BadNumber(f"{what} must be between 0 and 1, not {value!r}")
    return number


def plain(value: Decimal) -> str:
    """Plain digits, no exponent, no trailing zeros: 3.0 -> "3", 1E+3 -> "1000"."""
    return format(value.normalize(), "f") if value else "0"


def taker_fee(quantity: Decimal, price: Decimal, rate: Decimal) -> Decimal:
    """quantity x price x rate, rounded half-up to 8 places; exact (no precision is lost)."""
    with localcontext() as context:
        context.prec = 80  # 1e12 x 1e12 x rate with 16+ places fits many times over
        return (quantity * price * rate).quantize(FEE_QUANTUM, rounding=ROUND_HALF_UP)


def fee_text(fee: Decimal) -> str:
    """A fee always with its 8 places: "11.97600000", "0.00000000"."""
    with localcontext() as context:
        context.prec = 80
        return format(fee.quantize(FEE_QUANTUM), "f")
