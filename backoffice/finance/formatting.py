"""How money reads on the finance pages: "$38", "$1.14k", "$12.6k", "$2,000.00". No Django."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

_SUFFIXES = ((Decimal(10) ** 9, "B"), (Decimal(10) ** 6, "M"), (Decimal(1000), "k"))
_SIGNIFICANT = 3


def _significant(value: Decimal, digits: int) -> Decimal:
    """`value` (>= 0) rounded half-up to `digits` significant digits."""
    if value == 0:
        return Decimal(0)
    exponent = value.adjusted() - digits + 1
    return value.quantize(Decimal(1).scaleb(exponent), rounding=ROUND_HALF_UP)


def _plain(value: Decimal) -> str:
    """A decimal without exponent or trailing zeros: 1.140 -> "1.14", 1.2E+1 -> "12"."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def compact_usd(amount: Decimal) -> str:
    """Three significant digits and a k/M/B suffix, as the seed's cost chips read.

    38 -> "$38", 1140 -> "$1.14k", 12600 -> "$12.6k", 13020 -> "$13k", 999.6 -> "$1k".
    """
    sign = "-" if amount < 0 else ""
    value = _significant(abs(amount), _SIGNIFICANT)
    suffix = ""
    for size, name in _SUFFIXES:
        if value >= size:
            value, suffix = _significant(value / size, _SIGNIFICANT), name
            break
    return f"{sign}${_plain(value)}{suffix}"


def usd(amount: Decimal, places: int = 2) -> str:
    """Grouped, fixed places: 2000 -> "$2,000.00"; usd(13500, 0) -> "$13,500"."""
    quantum = Decimal(1).scaleb(-places)
    rounded = amount.quantize(quantum, rounding=ROUND_HALF_UP)
    sign = "-" if rounded < 0 else ""
    return f"{sign}${abs(rounded):,.{places}f}"


def usd_unit(amount: Decimal) -> str:
    """A small unit cost: cents when it is a dollar or more, else 3 significant digits.

    14.0 -> "$14.00", 0.0423 -> "$0.0423", 0.5 -> "$0.500".
    """
    if abs(amount) >= 1 or amount == 0:
        return usd(amount)
    value = _significant(abs(amount), _SIGNIFICANT)
    sign = "-" if amount < 0 else ""
    places = max(-int(value.as_tuple().exponent), 0)
    return f"{sign}${value:.{places}f}"


def percent(part: Decimal, whole: Decimal) -> str:
    """part / whole as a whole percentage ("111%"), or "–" for a zero whole."""
    if whole == 0:
        return "–"
    return f"{(part * 100 / whole).quantize(Decimal(1), rounding=ROUND_HALF_UP)}%"
