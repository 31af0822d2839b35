"""What a chaos drill checks after a fault, read from the platform's own store and read models.

Run inside the platform's environment: `manage.py shell -c "from tests.support.audit import
main; main()"` prints one JSON object (see `audit`).
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections import Counter
from decimal import Decimal
from pathlib import Path

from backoffice import selectors
from backoffice.reports import reconciliation
from infra.store import database, default_path
from infra.store.api import run
from ledger import journal
from ledger.domain.chart import trader_account
from wiring.launch import restarts

TERMINAL = {"filled", "canceled", "rejected", "expired"}


def new_trader(name: str) -> None:
    """Print a fresh funded trader's token and id: each drill counts its own orders and holds."""
    from kernel.ids import trader_id_for
    from trading.accounts import create_trader

    token = create_trader(name, {"USD": Decimal(1_000_000), "BTC": Decimal(100)})
    print(json.dumps({"token": token.key, "trader_id": trader_id_for(token.user)}))


def audit(trader_id: str) -> dict[str, object]:
    """`trader_id`'s orders not terminal and holds left; for every order: fills twice or not
    summing up, read-model drift."""
    orders = list(selectors.store_orders())
    mine = [o for o in orders if o.order.trader_id == trader_id]
    open_orders = [o.order.order_id for o in mine if o.order.state.value not in TERMINAL]
    venue_fills = Counter((f.venue, f.venue_fill_id) for item in orders for f in item.fills)
    fill_ids = Counter(f.fill_id for item in orders for f in item.fills)
    mismatched = [
        item.order.order_id
        for item in orders
        if item.order.filled_quantity != sum((f.quantity for f in item.fills), Decimal(0))
    ]
    holds = run(database(), lambda tr: {a: n for a, n in journal.holds(tr, trader_id).items() if n})
    drift = _own(reconciliation().findings, trader_id, mine)
    ready = Path(os.environ["VAR_DIR"]) / "run" / "ready"
    run_id = json.loads(ready.read_text())["run_id"] if ready.exists() else ""
    return {
        "orders": len(mine),
        "states": dict(Counter(o.order.state.value for o in mine)),
        "open": open_orders[:20],
        "holds": holds,
        "fills": sum(fill_ids.values()),
        "venue_fills_twice": [list(k) for k, n in venue_fills.items() if n > 1],
        "fill_ids_twice": [k for k, n in fill_ids.items() if n > 1],
        "filled_not_sum_of_fills": mismatched,
        "read_model_drift": [
            f"{f.check} {f.subject}: store {f.store}, read model {f.read_model} ({f.problem})"
            for f in drift
        ][:20],
        "restarts": restarts(run_id) if run_id else {},
        "store_integrity": store_integrity(),
    }


def store_integrity() -> str:
    """SQLite's integrity_check of the embedded store file: "ok", or what is broken. A corrupt file
    loses rows silently (outbox rows, so commands never sent), which no other check names."""
    path = default_path()
    if not Path(path).exists():
        return "ok"  # not the embedded store
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30) as conn:
        rows = conn.execute("PRAGMA integrity_check(5)").fetchall()
    return "; ".join(str(r[0]) for r in rows)


def _own(findings: list, trader_id: str, mine: list) -> list:
    """The findings about this trader's orders, fills and balances: a drift another drill left
    (or a shared venue account) must not fail this one."""
    orders = {o.order.order_id for o in mine}
    fills = {f.fill_id for o in mine for f in o.fills}
    account = trader_account(trader_id)
    return [
        f
        for f in findings
        if (f.check == "orders" and f.subject in orders)
        or (f.check == "ledger-fills" and f.subject in fills)
        or (f.check == "balances" and f.subject.split(" ")[0] == account)
    ]


def main(trader_id: str) -> None:
    print(json.dumps(audit(trader_id)))
