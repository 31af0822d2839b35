"""Money as the finance pages show it: {{ amount|compact_usd }} -> "$1.14k"."""

from __future__ import annotations

from decimal import Decimal

from django import template

from backoffice.finance import formatting

register = template.Library()


@register.filter
def compact_usd(amount: Decimal) -> str:
    return formatting.compact_usd(Decimal(amount))


@register.filter
def usd(amount: Decimal, places: int = 2) -> str:
    return formatting.usd(Decimal(amount), int(places))


@register.filter
def usd_unit(amount: Decimal) -> str:
    return formatting.usd_unit(Decimal(amount))


@register.filter
def percent_of(part: Decimal, whole: Decimal) -> str:
    return formatting.percent(Decimal(part), Decimal(whole))


@register.filter
def bar_width(share: Decimal) -> str:
    """A share (1 = 100%) as a CSS width, capped at 100%: "87.5%"."""
    capped = min(max(Decimal(share), Decimal(0)), Decimal(1)) * 100
    return f"{capped.quantize(Decimal('0.1'))}%"


@register.filter
def count(number: int) -> str:
    """A count with thousands separators: 90000 -> "90,000"."""
    return f"{int(number):,}"
