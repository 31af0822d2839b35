"""Writing to the audit log: one call per change, from the service that made it."""

from __future__ import annotations

from typing import Any

from backoffice.audit.models import AuditLog


def record(*, user: Any, action: str, target: str, before: Any, after: Any) -> AuditLog:
    actor = user if getattr(user, "is_authenticated", False) else None
    return AuditLog.objects.create(
        actor=actor, action=action, target=target, before=before, after=after
    )
