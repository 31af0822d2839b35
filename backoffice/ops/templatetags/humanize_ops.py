"""The ops page's number format: thousands separators on counts."""

from django import template

register = template.Library()


@register.filter
def thousands(value: object) -> object:
    """12345 -> "12,345"; anything else as it is."""
    return f"{value:,}" if isinstance(value, int) else value
