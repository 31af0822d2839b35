"""Ledger reads for edge-api: the body of ONE store transaction each."""

from __future__ import annotations

from typing import Any

from infra.store.api import Transaction
from kernel.money import display, from_minor
from ledger import journal
from ledger.domain.chart import trader_account


def balances(tr: Transaction, trader_id: str) -> list[dict[str, Any]]:
    """Per asset: total (the ledger balance), held (by open orders), available = total - held."""
    totals = journal.account_balances(tr, trader_account(trader_id))
    held = journal.holds(tr, trader_id)
    result = []
    for asset in sorted(set(totals) | set(held)):
        total_minor, held_minor = totals.get(asset, 0), held.get(asset, 0)
        result.append(
            {
                "asset": asset,
                "total": display(from_minor(total_minor)),
                "available": display(from_minor(total_minor - held_minor)),
                "held": display(from_minor(held_minor)),
            }
        )
    return result
