"""Audit records in the store, written in the same transaction as the action they describe.

An action that changes the store (a cancel, a halt, an adjustment, an approval) appends one
AuditRecord inside its own transaction, so the record commits exactly when the change does:
neither can exist without the other, whatever process dies when. Django's AuditLog table is a
copy, filled by `backoffice.audit.services.sync_from_store` (idempotent by `audit_id`).

Keys: ("audit", "log", <versionstamp>) -> AuditRecord (commit order);
      ("audit", "id", <audit_id>) -> b"" (a replayed transaction appends nothing twice).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from infra.store.api import Transaction
from infra.store.keys import Subspace, versionstamp
from kernel import codec

ROOT = Subspace(("audit",))
LOG = ROOT["log"]
IDS = ROOT["id"]


@dataclass(frozen=True)
class AuditRecord:
    """Who did what to what, when, with the before and after read in the same transaction."""

    audit_id: str  # chosen before the transaction, so a retried commit writes it once
    at: datetime
    actor_id: int | None  # Django user id (None: a system action)
    actor: str  # the username, kept even if the user is gone
    action: str  # e.g. "ledger.adjustment", "venue.halt"
    target: str  # e.g. "trader:T1", "venue:SIM-A"
    before: dict[str, Any] = field(default_factory=dict)
    after: dict[str, Any] = field(default_factory=dict)


def append(tr: Transaction, record: AuditRecord) -> bool:
    """Append `record`; False (nothing written) if this audit id is already in the log."""
    seen = IDS.pack((record.audit_id,))
    if tr.get(seen) is not None:
        return False
    tr.set(seen, b"")
    tr.set_versionstamped_key(LOG.pack_with_versionstamp((versionstamp(tr),)), codec.encode(record))
    return True


def read_after(
    tr: Transaction, after: bytes | None, limit: int = 1000
) -> list[tuple[bytes, AuditRecord]]:
    """Up to `limit` records in commit order, strictly after the log key `after`."""
    rng = LOG.range()
    start = rng.start if after is None else after + b"\x00"
    rows = tr.get_range(start, rng.stop, limit=limit)
    return [(key, codec.decode(value, AuditRecord)) for key, value in rows]
