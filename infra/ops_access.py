"""Who may read the operations endpoints' details: staff, ops, or the metrics bearer token."""

from __future__ import annotations

import hmac

from django.conf import settings
from django.http import HttpRequest

from kernel import roles


def has_metrics_token(request: HttpRequest) -> bool:
    """`Authorization: Bearer <METRICS_TOKEN>`; no token configured means nobody has it."""
    expected = settings.METRICS_TOKEN
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    return (
        bool(expected)
        and scheme.lower() == "bearer"
        and hmac.compare_digest(given.strip().encode(), expected.encode())
    )


def may_see_details(request: HttpRequest) -> bool:
    """The metrics token, or a signed-in staff or ops user (the session of the back office)."""
    user = getattr(request, "user", None)
    return (
        has_metrics_token(request)
        or roles.has_role(user, roles.STAFF)
        or roles.has_role(user, roles.OPS)
    )
