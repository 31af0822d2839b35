"""trading-core on the embedded store, single process: place_order and apply_execution_report."""

from __future__ import annotations

import tempfile
import time
from functools import partial
from pathlib import Path
from typing import Any

from infra.store.api import run
from tests.support.reports import NOW, report
from tests.support.store import TRADER, lift_order_rate_limit, seeded_store
from trading.services.execution import apply_execution_report, apply_execution_reports
from trading.services.place import PlaceOrder, place_order


def _place(db: Any, n: int, prefix: str) -> list[str]:
    ids = [f"O{prefix}{i:07d}" for i in range(n)]
    for order_id in ids:
        command = PlaceOrder(TRADER, order_id, "BTC-USD", "buy", "0.003", limit_price="10000")
        run(db, partial(place_order, command=command, now=NOW))
    return ids


def bench_core(orders: int = 3000, batch: int = 50) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder:
        db = seeded_store(Path(folder))
        lift_order_rate_limit(db)  # 3000 orders at one fixed NOW: one second
        try:
            started, cpu = time.perf_counter(), time.process_time()
            ids = _place(db, orders, "a")
            place_s, place_cpu = time.perf_counter() - started, time.process_time() - cpu
            fills = [
                report(o, "EA-1", "SIM-A", "trade", cum="0.001", qty="0.001", price="9980")
                for o in ids
            ]
            started, cpu = time.perf_counter(), time.process_time()
            for fill in fills:
                run(db, partial(apply_execution_report, report=fill, now=NOW))
            single_s, single_cpu = time.perf_counter() - started, time.process_time() - cpu
            more = [
                report(o, "EA-1", "SIM-A", "trade", cum="0.002", qty="0.001", price="9980")
                for o in ids
            ]
            started, cpu = time.perf_counter(), time.process_time()
            for i in range(0, len(more), batch):
                chunk = more[i : i + batch]
                run(db, partial(apply_execution_reports, reports=chunk, now=NOW))
            batched_s, batched_cpu = time.perf_counter() - started, time.process_time() - cpu
        finally:
            db.close()
    return {
        "place_order_per_s": orders / place_s,
        "apply_execution_report_per_s": orders / single_s,
        "apply_execution_report_batched_per_s": orders / batched_s,
        "place_order_wall_s": place_s,
        "place_order_cpu_s": place_cpu,
        "apply_execution_report_wall_s": single_s,
        "apply_execution_report_cpu_s": single_cpu,
        "apply_execution_report_batched_wall_s": batched_s,
        "apply_execution_report_batched_cpu_s": batched_cpu,
        "batch_size": batch,
        "orders": orders,
    }


if __name__ == "__main__":
    for name, value in bench_core().items():
        print(f"{name}: {value:,.0f}")
