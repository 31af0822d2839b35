"""Template filters of the back office's pages."""

from decimal import Decimal

from django import template

from kernel.money import display

register = template.Library()


@register.filter
def plain(value: Decimal | None) -> str:
    """A decimal as the API writes it ("3", "9983", "-16.5"), or a dash for none."""
    return "—" if value is None else display(value) or "0"
