"""trading-core's figures for `make bench`: the hot path on the embedded store, and what it is
compared with in the same run (the same rows through raw sqlite3, a Django-ORM ledger on
PostgreSQL, one ingest process against two).

`figures()` returns report.json entries: {"name", "value", "unit", "goal", "better",
"compared_with"?}; `section(figures)` the report.md lines.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import sqlite3
import tempfile
import time
from functools import partial
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Event
from pathlib import Path
from typing import Any

from bench.core import bench_core
from infra.store import open_database
from infra.store.api import Database, Transaction, run
from tests.support.reports import NOW, report
from tests.support.store import TRADER, lift_order_rate_limit, seeded_store
from trading.domain.reports import ExecutionReport
from trading.services import reference
from trading.services.execution import apply_execution_report
from trading.services.place import PlaceOrder, place_order

OTHER_TRADER = "T2"
INGEST_REPORTS = 1000  # per ingest process in the two-process figure
RAW_FILLS = 2000


class _Recorder:
    """A Transaction that records what one fill reads and writes (for the raw sqlite3 replay)."""

    def __init__(self, tr: Transaction) -> None:
        self.tr = tr
        self.gets: list[bytes] = []
        self.writes: list[tuple[bytes, bytes]] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.tr, name)

    def get(self, key: bytes) -> bytes | None:
        self.gets.append(key)
        return self.tr.get(key)

    def set(self, key: bytes, value: bytes) -> None:
        self.writes.append((key, value))
        self.tr.set(key, value)

    def add(self, key: bytes, delta: int) -> None:
        self.writes.append((key, delta.to_bytes(8, "little", signed=True)))
        self.tr.add(key, delta)

    def set_versionstamped_key(self, key: bytes, value: bytes) -> None:
        self.writes.append((key[:-4], value))
        self.tr.set_versionstamped_key(key, value)


def _place(db: Database, trader: str, n: int, prefix: str) -> list[str]:
    ids = [f"O{prefix}{i:07d}" for i in range(n)]
    for order_id in ids:
        command = PlaceOrder(trader, order_id, "BTC-USD", "buy", "0.003", limit_price="10000")
        run(db, partial(place_order, command=command, now=NOW))
    return ids


def _fill(order_id: str) -> ExecutionReport:
    """A fill of 0.001 on the order's first attempt, with ids unique to the order (the builder's
    own counter starts again in every process: two ingest processes would send the same ids)."""
    return report(
        order_id,
        "EA-1",
        "SIM-A",
        "trade",
        cum="0.001",
        qty="0.001",
        price="9980",
        exec_id=f"{order_id}-E1",
        venue_fill_id=f"{order_id}-F1",
    )


def raw_sqlite_fills_per_s(folder: Path, fills: int = RAW_FILLS) -> float:
    """One real fill's reads and rows, replayed through plain sqlite3, one transaction each."""
    db = seeded_store(folder / "recorded")
    try:
        (order_id,) = _place(db, TRADER, 1, "r")
        recorder: list[_Recorder] = []

        def body(tr: Transaction) -> None:
            recorder[:] = [_Recorder(tr)]
            apply_execution_report(recorder[0], _fill(order_id), NOW)

        run(db, body)
    finally:
        db.close()
    gets, writes = recorder[0].gets, recorder[0].writes
    conn = sqlite3.connect(folder / "raw.sqlite3", isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("CREATE TABLE kv (key BLOB PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID")
    upsert = "INSERT INTO kv VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value"
    started = time.perf_counter()
    for i in range(fills):
        tag = i.to_bytes(4, "big")  # each fill its own rows, as each real fill has
        conn.execute("BEGIN")
        for key in gets:
            conn.execute("SELECT value FROM kv WHERE key = ?", (key + tag,)).fetchone()
        conn.executemany(upsert, [(key + tag, value) for key, value in writes])
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - started
    conn.close()
    return fills / elapsed


Timing = tuple[float, float, float, int]  # started, ended, cpu s, retried transactions


def _ingest(path: str, order_ids: list[str], ready: Event, go: Event, out: Queue[Timing]) -> None:
    """One ingest process: apply a fill to each order, one transaction each, and report timing."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wiring.settings")
    django.setup()
    db = open_database(path=path)
    fills = [_fill(o) for o in order_ids]
    ready.set()
    go.wait()
    attempts = [0]

    def apply(tr: Transaction, fill: ExecutionReport) -> None:
        attempts[0] += 1
        apply_execution_report(tr, fill, NOW)

    cpu, started = time.process_time(), time.perf_counter()
    for fill in fills:
        run(db, partial(apply, fill=fill))
    out.put((started, time.perf_counter(), time.process_time() - cpu, attempts[0] - len(fills)))
    db.close()


def ingest_processes(folder: Path, reports: int = INGEST_REPORTS) -> dict[str, dict[str, float]]:
    """Reports/s of one ingest process over 2n orders, and of two over n orders each (disjoint
    traders, so neither reads what the other writes), on copies of one store."""
    db = seeded_store(folder / "seed")
    lift_order_rate_limit(db)  # thousands of orders at one fixed NOW: one second
    try:
        run(db, partial(reference.ensure_trader, trader_id=OTHER_TRADER, name="bob"))
        for asset, amount in reference.DEMO_DEPOSITS.items():
            deposit = partial(
                reference.deposit,
                entry_id=f"dep2:{asset}",
                trader_id=OTHER_TRADER,
                asset=asset,
                amount=amount,
                now=NOW,
            )
            run(db, deposit)
        mine, theirs = _place(db, TRADER, reports, "a"), _place(db, OTHER_TRADER, reports, "b")
    finally:
        db.close()
    context = multiprocessing.get_context("spawn")
    results = {}
    for label, shares in (("one", [mine + theirs]), ("two", [mine, theirs])):
        copy = folder / label
        copy.mkdir()
        for suffix in ("", "-wal", "-shm"):
            source = folder / "seed" / f"store.sqlite3{suffix}"
            if source.exists():
                shutil.copy(source, copy / f"store.sqlite3{suffix}")
        go = context.Event()
        out: Queue[Timing] = context.Queue()
        readies = [context.Event() for _ in shares]
        workers = [
            context.Process(target=_ingest, args=(str(copy / "store.sqlite3"), s, r, go, out))
            for s, r in zip(shares, readies, strict=True)
        ]
        for worker in workers:
            worker.start()
        for ready in readies:
            ready.wait(120)
        go.set()
        timings = [out.get(timeout=300) for _ in workers]
        for worker in workers:
            worker.join(60)
        wall = max(t[1] for t in timings) - min(t[0] for t in timings)
        results[label] = {
            "per_s": 2 * reports / wall,
            "wall_s": wall,
            "cpu_s": sum(t[2] for t in timings),
            "retries": sum(t[3] for t in timings),  # conflicts (1020) retried by run()
        }
    return results


def _figure(
    name: str, value: float, unit: str, goal: float | None, **extra: object
) -> dict[str, object]:
    return {"name": name, "value": round(value, 1), "unit": unit, "goal": goal, **extra}


def _times(core: dict[str, float], name: str) -> dict[str, float]:
    return {"wall_s": round(core[f"{name}_wall_s"], 2), "cpu_s": round(core[f"{name}_cpu_s"], 2)}


def figures() -> list[dict[str, Any]]:
    """Every trading-core figure of this run, each beside what it is compared with."""
    from bench.orm_ledger import bench_orm_ledger  # Django models: not in the ingest children

    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        core = bench_core(orders=2000)
        raw = raw_sqlite_fills_per_s(folder)
        orm = bench_orm_ledger(fills=500)["orm_fills_per_s"]
        ingest = ingest_processes(folder)
    one, two = ingest["one"], ingest["two"]
    return [
        _figure(
            "trading_core.apply_execution_report_per_s",
            core["apply_execution_report_per_s"],
            "reports/s",
            3000,
            better="higher",
            **_times(core, "apply_execution_report"),
            compared_with=[
                "trading_core.raw_sqlite3_same_rows_per_s",
                "trading_core.orm_ledger_fills_per_s",
            ],
        ),
        _figure(
            "trading_core.apply_execution_report_batched_per_s",
            core["apply_execution_report_batched_per_s"],
            f"reports/s (batches of {core['batch_size']})",
            10000,
            better="higher",
            **_times(core, "apply_execution_report_batched"),
        ),
        _figure(
            "trading_core.place_order_per_s",
            core["place_order_per_s"],
            "orders/s",
            3000,
            better="higher",
            **_times(core, "place_order"),
        ),
        _figure("trading_core.raw_sqlite3_same_rows_per_s", raw, "fills/s", None, better="higher"),
        _figure(
            "trading_core.orm_ledger_fills_per_s",
            orm,
            "fills/s (Django ORM, PostgreSQL)",
            None,
            better="higher",
        ),
        _figure(
            "trading_core.ingest_one_process_per_s",
            one["per_s"],
            "reports/s",
            None,
            better="higher",
            wall_s=round(one["wall_s"], 2),
            cpu_s=round(one["cpu_s"], 2),
            retries=one["retries"],
        ),
        _figure(
            "trading_core.ingest_two_processes_per_s",
            two["per_s"],
            "reports/s",
            one["per_s"],
            better="higher",
            compared_with=["trading_core.ingest_one_process_per_s"],
            wall_s=round(two["wall_s"], 2),
            cpu_s=round(two["cpu_s"], 2),
            retries=two["retries"],
        ),
    ]


def section(results: list[dict[str, Any]]) -> list[str]:
    """The report.md table of these figures."""
    lines = [
        "## trading-core on the embedded store",
        "",
        "| figure | value | unit | goal | wall s | CPU s | retried conflicts |",
        "| --- | ---: | --- | ---: | ---: | ---: | ---: |",
    ]
    for f in results:
        goal = "" if f["goal"] is None else f"{f['goal']:,.0f}"
        lines.append(
            f"| {f['name']} | {f['value']:,.0f} | {f['unit']} | {goal} "
            f"| {f.get('wall_s', '')} | {f.get('cpu_s', '')} | {f.get('retries', '')} |"
        )
    return [*lines, ""]
