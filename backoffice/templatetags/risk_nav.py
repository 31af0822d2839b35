"""`{% if user|sees_risk_limits %}`: the admin index links the risk limits page for who may."""

from __future__ import annotations

from django import template

from backoffice.permissions import can_view

register = template.Library()


@register.filter
def sees_risk_limits(user: object) -> bool:
    return can_view(user)
