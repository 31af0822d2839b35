"""Writing to the audit log: one call per change, from the service that made it.

- A change to the store is audited inside its own store transaction (`in_store`): the record
  commits if and only if the change does. `sync_from_store` copies the store's records into
  the AuditLog table, in commit order and idempotently (by audit id): after every action, and
  whenever the audit log is listed, so a copy a crash missed is made on the next look.
- A change to Django's database only (finance, ops) is audited in that database (`record`),
  in the caller's Django transaction.
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime
from functools import partial
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db import DatabaseError, transaction

from backoffice.audit import store
from backoffice.audit.models import AuditLog
from backoffice.permissions import Actor
from infra.store import database
from infra.store.api import Transaction, run

log = logging.getLogger(__name__)
SYNC_BATCH = 1000


def record(*, user: Actor | None, action: str, target: str, before: Any, after: Any) -> AuditLog:
    """Audit a change of Django's database (call it in the same Django transaction)."""
    actor = user if isinstance(user, User) and user.is_authenticated else None
    return AuditLog.objects.create(
        actor=actor, action=action, target=target, before=before, after=after
    )


def new_audit_id() -> str:
    """Chosen before the store transaction, so a retried commit appends the record once."""
    return uuid.uuid4().hex


def in_store(
    tr: Transaction,
    *,
    audit_id: str,
    user: Actor,
    action: str,
    target: str,
    before: dict[str, Any],
    after: dict[str, Any],
    now: datetime | None = None,
) -> None:
    """Audit a store change inside its transaction `tr`."""
    authenticated = getattr(user, "is_authenticated", False)
    store.append(
        tr,
        store.AuditRecord(
            audit_id=audit_id,
            at=now or datetime.now(UTC),
            actor_id=user.pk if authenticated else None,
            actor=user.get_username() if authenticated else "",
            action=action,
            target=target,
            before=before,
            after=after,
        ),
    )


def sync_from_store() -> int:
    """Copy the store's audit records not yet in AuditLog; returns how many were read."""
    added = 0
    while True:
        last = AuditLog.objects.exclude(store_key=None).order_by("-store_key").first()
        after = bytes.fromhex(last.store_key) if last and last.store_key else None
        rows = run(database(), partial(store.read_after, after=after, limit=SYNC_BATCH))
        if not rows:
            return added
        users = set(
            get_user_model()
            .objects.filter(pk__in={r.actor_id for _, r in rows if r.actor_id})
            .values_list("pk", flat=True)
        )
        copies = [
            AuditLog(
                at=r.at,
                actor_id=r.actor_id if r.actor_id in users else None,
                action=r.action,
                target=r.target,
                before=r.before,
                after={**r.after, "by": r.actor} if r.actor_id not in users else r.after,
                audit_id=r.audit_id,
                store_key=key.hex(),
            )
            for key, r in rows
        ]
        with transaction.atomic():
            AuditLog.objects.bulk_create(copies, ignore_conflicts=True)
        added += len(copies)
        if len(rows) < SYNC_BATCH:
            return added


def sync_quietly() -> None:
    """sync_from_store after an action: the action is done and audited in the store already,
    so a Django database that is away must not turn it into an error page."""
    try:
        sync_from_store()
    except DatabaseError:
        log.warning("audit log copy deferred: Django's database is unavailable", exc_info=True)
