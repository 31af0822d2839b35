"""The site's one number format for people: trimmed decimals with thousands separators.

CSV twins keep the plain form (machines read them); pages use `grouped`.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import template

from kernel.money import display

register = template.Library()


@register.filter
def grouped(value: Decimal | str | int | None) -> str:
    """9983 -> "9,983", "970021.051" -> "970,021.051", -16.5 -> "-16.5", None -> "—"."""
    if value is None or value == "":
        return "—"
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    text = display(number) or "0"
    sign, digits = ("-", text[1:]) if text.startswith("-") else ("", text)
    whole, dot, fraction = digits.partition(".")
    return f"{sign}{int(whole):,}{dot}{fraction}"
