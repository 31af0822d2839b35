"""Figures across real processes: the platform started as `make run` starts it, on free ports.

- seed order: POST -> `filled` with zero venue latency (median of several)
- fills per second: simulator -> adapter -> Kafka -> ingest -> store, 1,000 orders
- venue fill -> websocket delta at a client: p50 / p99
- GET order snapshot: requests per second (several concurrent clients)
"""

from __future__ import annotations

import asyncio
import json
import statistics
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
from websockets.sync.client import connect

from tests.support.platform import RunningPlatform, eventually, start_platform

ENDED = {"filled", "canceled", "expired", "rejected"}
RESULTS: dict[str, Any] = {}


def _books(platform: RunningPlatform, asks: dict[str, list[list[str]]]) -> None:
    with httpx.Client(base_url=f"{platform.simulator_url}/control", timeout=10) as control:
        for venue, levels in asks.items():
            control.put(f"/faults/{venue}", json={}).raise_for_status()
            control.put(
                f"/books/{venue}/BTC-USD", json={"asks": levels, "bids": [["9900", "1000"]]}
            ).raise_for_status()


def _seed_latency(platform: RunningPlatform, api: httpx.Client, runs: int = 7) -> list[float]:
    took = []
    for _ in range(runs):
        _books(platform, {"SIM-A": [["9980", "1.2"]], "SIM-B": [["9985", "5"]]})
        time.sleep(0.3)  # let the book updates reach the router's quotes
        started = time.perf_counter()
        order = api.post(
            "/api/v1/orders",
            json={
                "instrument": "BTC-USD",
                "side": "buy",
                "quantity": "3.0",
                "limit_price": "10000",
            },
        ).json()
        path = f"/api/v1/orders/{order['order_id']}"
        eventually(lambda p=path: api.get(p).json()["state"] in ENDED, 30, 0.002)
        took.append((time.perf_counter() - started) * 1000)
    return took


def _throughput(
    platform: RunningPlatform, api: httpx.Client, orders: int
) -> tuple[float, list[float]]:
    _books(platform, {"SIM-A": [["9980", "100000"]], "SIM-B": [["9990", "100000"]]})
    time.sleep(0.3)
    received: dict[str, float] = {}
    stop = threading.Event()
    ws = connect(
        f"ws://127.0.0.1:{platform.web_port}/ws/v1/stream?token={platform.token}",
        open_timeout=10,
        max_queue=None,
    )
    ws.send(json.dumps({"action": "subscribe", "orders": "*"}))
    ws.recv(timeout=10)

    def listen() -> None:
        while not stop.is_set():
            try:
                delta = json.loads(ws.recv(timeout=0.5))
            except TimeoutError:
                continue
            except Exception:  # noqa: BLE001 - closed at the end
                return
            if "last_fill" in delta:
                received[delta["last_fill"]["fill_id"]] = time.time()

    listener = threading.Thread(target=listen, daemon=True)
    listener.start()
    started = time.perf_counter()
    ids = [
        api.post(
            "/api/v1/orders",
            json={
                "instrument": "BTC-USD",
                "side": "buy",
                "quantity": "0.01",
                "limit_price": "10000",
            },
        ).json()["order_id"]
        for _ in range(orders)
    ]
    eventually(lambda: len(received) >= orders, 300, 0.05, what="every fill to reach the websocket")
    elapsed = time.perf_counter() - started
    stop.set()
    ws.close()
    latencies = []
    page = api.get("/api/v1/fills").json()
    while True:
        for fill in page["results"]:
            if fill["fill_id"] in received:
                executed = datetime.fromisoformat(fill["executed_at"]).timestamp()
                latencies.append((received[fill["fill_id"]] - executed) * 1000)
        if not page["next"] or len(latencies) >= len(ids):
            break
        page = httpx.get(page["next"], headers=api.headers, timeout=10).json()
    return orders / elapsed, latencies


async def _snapshot_rps(
    platform: RunningPlatform, order_id: str, seconds: float = 5, clients: int = 16
) -> float:
    count = 0
    deadline = time.perf_counter() + seconds
    async with httpx.AsyncClient(
        base_url=platform.url, headers={"Authorization": f"Token {platform.token}"}, timeout=10
    ) as client:

        async def worker() -> None:
            nonlocal count
            while time.perf_counter() < deadline:
                (await client.get(f"/api/v1/orders/{order_id}")).raise_for_status()
                count += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(clients)))
    return count / (time.perf_counter() - started)


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))] if ordered else float("nan")


def section() -> list[str]:
    with tempfile.TemporaryDirectory() as folder:
        platform = start_platform(Path(folder) / "platform")
        try:
            api = httpx.Client(
                base_url=platform.url,
                headers={"Authorization": f"Token {platform.token}"},
                timeout=30,
            )
            seed = _seed_latency(platform, api)
            fills_per_s, latencies = _throughput(platform, api, 1000)
            some_order = api.get("/api/v1/orders").json()["results"][0]["order_id"]
            rps = asyncio.run(_snapshot_rps(platform, some_order))
        finally:
            platform.stop()
    RESULTS.update(seed=seed, latencies=latencies)
    return [
        "## Across real processes (platform as `make run` starts it)",
        "",
        "| figure | value | goal |",
        "| --- | ---: | ---: |",
        f"| seed order POST -> filled, median of {len(seed)} (ms) | {statistics.median(seed):.0f} | 300 |",
        f"| fills per second, 1,000 orders through simulator -> Kafka -> ingest -> store -> websocket | {fills_per_s:,.0f} | 500 |",
        f"| venue fill -> websocket delta p50 (ms), at that load | {_pct(latencies, 0.5):.0f} | 15 at 200/s |",
        f"| venue fill -> websocket delta p99 (ms), at that load | {_pct(latencies, 0.99):.0f} | 60 at 200/s |",
        f"| GET order snapshot, 16 clients (requests/s) | {rps:,.0f} | 1,500 |",
        "",
    ]
