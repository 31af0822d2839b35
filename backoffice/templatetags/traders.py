"""`{{ text|named:trader_names }}`: trader ids shown with their names (backoffice/trader_names.py).

The view looks the names up once for the whole page (`trader_names.names_in`) and passes them.
"""

from django import template

from backoffice import trader_names

register = template.Library()


@register.filter
def named(text: str | None, names: dict[str, str] | None) -> str:
    """ "T1" -> "T1 (alice)", "trader:T1" -> "trader:T1 (alice)"; other text as it is."""
    return trader_names.named(text, names or {})
