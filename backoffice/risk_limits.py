"""Staff's edits of the pre-trade risk limits (trading/services/risk.py), audited in the store.

Each edit is one store transaction that reads the scope's limits, writes the new ones and
appends the audit record with both (backoffice/audit/store.py), so no edit goes unrecorded.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied

from backoffice.audit.services import in_store, new_audit_id, sync_quietly
from backoffice.permissions import Actor, can_operate
from backoffice.services import ActionRefused
from infra.store import database
from infra.store.api import Transaction, run
from kernel.errors import TradingError
from trading.domain.risk import ANY, LIMIT_NAMES, Limits, resolve
from trading.repository import Repository
from trading.services import risk


@dataclass(frozen=True)
class Scope:
    """One row of the limits page: a stored scope and what applies there."""

    trader_id: str
    instrument: str
    limits: Limits


def scopes() -> list[Scope]:
    """Every stored scope, defaults (trader "*") first."""
    rows = run(database(), risk.all_limits)
    found = [Scope(t, i, limits) for t, i, limits in rows]
    return sorted(found, key=lambda s: (s.trader_id != ANY, s.trader_id, s.instrument != ANY))


def scope_limits(trader_id: str, instrument: str) -> Limits:
    """The limits stored at exactly this scope (all unset when none)."""
    found = run(database(), lambda tr: risk.limits_at(tr, trader_id, instrument))
    return found or Limits()


def inherited(trader_id: str, instrument: str) -> Limits:
    """What this scope would get from the wider ones if it set nothing itself."""
    every = [(trader_id, instrument), (trader_id, ANY), (ANY, instrument), (ANY, ANY)]
    order = list(dict.fromkeys(every))  # narrowest first, each scope once
    wider = order[1:]

    def read(tr: Transaction) -> Limits:
        return resolve([risk.limits_at(tr, t, i) for t, i in wider])

    return run(database(), read)


def instruments() -> list[str]:
    return sorted(i.symbol for i in run(database(), lambda tr: Repository(tr).instruments()))


def risk_limits_set(
    *, user: Actor, trader_id: str, instrument: str, values: dict[str, str]
) -> Limits:
    """Set the limits of one scope from a form's text ("" = inherited from the wider scope).

    Refusals (a bad number, an unknown trader or instrument) raise ActionRefused naming the
    field; nothing is written then.
    """
    if not can_operate(user):
        raise PermissionDenied("only back-office staff change risk limits")
    audit_id = new_audit_id()

    def change(tr: Transaction) -> Limits:
        before = risk.limits_at(tr, trader_id, instrument) or Limits()
        after = risk.with_values(before, {n: values.get(n, "") for n in LIMIT_NAMES})
        risk.set_limits(tr, trader_id, instrument, after)
        in_store(
            tr,
            audit_id=audit_id,
            user=user,
            action="risk.limits",
            target=f"risk:{trader_id}/{instrument}",
            before=before.as_dict(),
            after=after.as_dict(),
        )
        return after

    try:
        result = run(database(), change)
    except TradingError as error:
        raise ActionRefused(error.message, error.field) from None
    sync_quietly()
    return result
