"""The embedded store alone: small read-modify-write transactions per second, one process.

The shape is trading-core's: a transaction reads about 10 keys and writes about 15 (10 sets
of what it read, 5 atomic adds to counters), through the same retry loop (`run`). The figure
bounds what trading-core can reach on this machine, whatever its own work costs.
"""

from __future__ import annotations

import functools
import random
import struct
import sys
import tempfile
import time
from pathlib import Path

from infra.store.api import Transaction, key_range, run
from infra.store.embedded import EmbeddedDatabase
from infra.store.keys import Subspace

ACCOUNTS = 1_000
COUNTERS = 20
READS = 10
ADDS = 5
_SPACE = Subspace(("bench", "store"))
_INT = struct.Struct("<q")


def _seed(db: EmbeddedDatabase) -> None:
    def body(tr: Transaction) -> None:
        tr.clear_range(*key_range(_SPACE.key()))
        for account in range(ACCOUNTS):
            tr.set(_SPACE.pack(("account", account)), _INT.pack(0))

    run(db, body)


def _transfer(tr: Transaction, accounts: list[bytes], counters: list[bytes]) -> None:
    """Read 10 balances, write each back plus one, and add to 5 counters."""
    for key in accounts:
        balance = _INT.unpack(tr.get(key) or _INT.pack(0))[0]
        tr.set(key, _INT.pack(balance + 1))
    for key in counters:
        tr.add(key, 1)


def bench_store(path: str | Path, transactions: int = 5_000, seed: int = 1) -> dict[str, float]:
    """Run `transactions` small read-modify-write transactions against a store at `path`."""
    rng = random.Random(seed)
    account_keys = [_SPACE.pack(("account", a)) for a in range(ACCOUNTS)]
    counter_keys = [_SPACE.pack(("counter", c)) for c in range(COUNTERS)]
    plans = [
        (rng.sample(account_keys, READS), rng.sample(counter_keys, ADDS))
        for _ in range(transactions)
    ]
    db = EmbeddedDatabase(path)
    try:
        _seed(db)
        started = time.perf_counter()
        for accounts, counters in plans:
            run(db, functools.partial(_transfer, accounts=accounts, counters=counters))
        elapsed_s = time.perf_counter() - started
        total = sum(
            _INT.unpack(value)[0]
            for _, value in run(db, lambda tr: tr.get_range(*key_range(_SPACE.pack(("counter",)))))
        )
    finally:
        db.close()
    if total != transactions * ADDS:  # a lost update would make the figure meaningless
        raise AssertionError(f"counters hold {total}, expected {transactions * ADDS}")
    return {
        "store_transactions_per_s": transactions / elapsed_s,
        "store_transaction_us": elapsed_s / transactions * 1e6,
        "reads_per_transaction": READS,
        "writes_per_transaction": READS + ADDS,
        "transactions": transactions,
    }


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as folder:
        target = sys.argv[1] if len(sys.argv) > 1 else str(Path(folder) / "store.sqlite3")
        for name, value in bench_store(target).items():
            print(f"{name}: {value:,.1f}")
