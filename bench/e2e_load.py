"""bench.e2e's load phases against one platform; each returns its raw figures."""

from __future__ import annotations

import json
import os
import threading
import time
from datetime import datetime
from functools import partial
from typing import Any

import httpx
from websockets.sync.client import connect

from bench import profiles
from bench.procs import cpu_seconds, loadgen, measured
from tests.support.platform import SEED_ORDER, RunningPlatform, eventually

ENDED = {"filled", "canceled", "expired", "rejected"}
BURST = int(os.environ.get("BENCH_BURST", "500"))
IN_FLIGHT = 50
SUSTAIN_S = float(os.environ.get("BENCH_SUSTAIN_S", "15"))
PACED_S = float(os.environ.get("BENCH_PACED_S", "15"))
PACED_RATE = 50.0
RAMP_S = 3.0
SNAPSHOT_SAMPLE_S = 4.0  # py-spy on the web during the first GET run of bench.web_tier
ORDER = json.dumps(
    {"instrument": "BTC-USD", "side": "buy", "quantity": "0.01", "limit_price": "10000"}
)


def books(platform: RunningPlatform, asks: dict[str, list[list[str]]]) -> None:
    with httpx.Client(base_url=f"{platform.simulator_url}/control", timeout=10) as control:
        for venue, levels in asks.items():
            control.put(f"/faults/{venue}", json={}).raise_for_status()
            control.put(
                f"/books/{venue}/BTC-USD", json={"asks": levels, "bids": [["9900", "1000"]]}
            ).raise_for_status()


def _has_ended(api: httpx.Client, path: str) -> bool:
    return api.get(path).json()["state"] in ENDED


def seed_latency(platform: RunningPlatform, api: httpx.Client, runs: int = 5) -> list[float]:
    took = []
    for _ in range(runs):
        books(platform, {"SIM-A": [["9980", "1.2"]], "SIM-B": [["9985", "5"]]})
        time.sleep(0.3)  # let the book updates reach the router's quotes
        started = time.perf_counter()
        order = api.post("/api/v1/orders", json=SEED_ORDER).json()
        path = f"/api/v1/orders/{order['order_id']}"
        eventually(partial(_has_ended, api, path), 30, 0.002)
        took.append((time.perf_counter() - started) * 1000)
    return took


class Stream:
    """One websocket client subscribed to every order: when each fill and `filled` arrived."""

    def __init__(self, platform: RunningPlatform) -> None:
        self.ws = connect(
            f"ws://127.0.0.1:{platform.web_port}/ws/v1/stream?token={platform.token}",
            open_timeout=10,
            max_queue=None,
        )
        self.ws.send(json.dumps({"action": "subscribe", "orders": "*"}))
        self.ws.recv(timeout=10)
        self.fills: dict[str, tuple[float, str]] = {}  # fill id -> (arrived, order id)
        self.stored: dict[str, float] = {}  # fill id -> its delta's updated_at (store time)
        self.filled: dict[str, float] = {}  # order id -> when `filled` arrived
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._listen, daemon=True)
        self._thread.start()

    def _listen(self) -> None:
        while not self._stop.is_set():
            try:
                delta = json.loads(self.ws.recv(timeout=0.5))
            except TimeoutError:
                continue
            except Exception:  # noqa: BLE001 - closed at the end
                return
            now = time.time()
            if "last_fill" in delta:
                fill_id = delta["last_fill"]["fill_id"]
                self.fills.setdefault(fill_id, (now, delta["order_id"]))
                if "updated_at" in delta:
                    stored = datetime.fromisoformat(delta["updated_at"]).timestamp()
                    self.stored.setdefault(fill_id, stored)
            if delta.get("state") == "filled":
                self.filled.setdefault(delta["order_id"], now)

    def close(self) -> None:
        self._stop.set()
        self.ws.close()


def _post_args(platform: RunningPlatform, *extra: str) -> list[str]:
    return [
        "--port",
        str(platform.web_port),
        "--method",
        "POST",
        "--path",
        "/api/v1/orders",
        "--header",
        f"Authorization: Token {platform.token}",
        "--body",
        ORDER,
        "--record",
        *extra,
    ]


def _parts_cpu(pids: dict[str, int], supervisor: int) -> dict[str, float]:
    """Each part with its children; supervisord and run_platform ("supervisor") on their own:
    every part is a child of supervisord, so its tree would count the whole platform twice."""
    import psutil

    figures = {name: cpu_seconds(pid) for name, pid in pids.items() if name != "supervisord"}
    for name, pid in (("supervisord", pids.get("supervisord")), ("supervisor", supervisor)):
        try:
            figures[name] = sum(psutil.Process(pid).cpu_times()[:2]) if pid else 0.0
        except psutil.NoSuchProcess:
            figures[name] = 0.0
    return figures


def idle(platform: RunningPlatform, seconds: float = 5) -> dict[str, Any]:
    """CPU per second of each part with no load at all: polling, timers, heartbeats."""
    pids = platform.pids()
    before = _parts_cpu(pids, platform.process.pid)
    with measured() as window:
        time.sleep(seconds)
    after = _parts_cpu(pids, platform.process.pid)
    return {
        "cpu": {k: (after[k] - before[k]) / window.wall_s for k in sorted(before)},
        "window": window.describe(),
    }


def burst(platform: RunningPlatform, stream: Stream) -> dict[str, Any]:
    pids = platform.pids()
    before = _parts_cpu(pids, platform.process.pid)
    fills_before = len(stream.fills)
    with measured() as window:
        started = time.time()
        result, client_cpu = loadgen(
            *_post_args(platform, "--count", str(BURST), "--connections", str(IN_FLIGHT))
        )
        accepted = result["statuses"].get("201", 0)
        eventually(
            lambda: len(stream.fills) - fills_before >= accepted, 300, 0.05, "the burst's fills"
        )
        last_fill = max(at for at, _ in stream.fills.values())
    after = _parts_cpu(pids, platform.process.pid)
    restarted = [name for name, pid in platform.pids().items() if pids.get(name) != pid]
    cpu = {name: after[name] - before[name] for name in before}
    return {
        "accepted": accepted,
        "accepted_per_s": accepted / result["elapsed_s"],
        "post_p50_ms": result["p50_ms"],
        "post_p99_ms": result["p99_ms"],
        "fills_per_s": accepted / (last_fill - started),
        "cpu_ms_per_order": {k: v / accepted * 1000 for k, v in sorted(cpu.items())},
        "loadgen_cpu_ms_per_order": client_cpu / accepted * 1000,
        "restarted": restarted,
        "window": window.describe(),
    }


def sustained(platform: RunningPlatform, stream: Stream) -> dict[str, Any]:
    with measured() as window:
        started = time.time()
        result, _ = loadgen(
            *_post_args(platform, "--seconds", str(SUSTAIN_S), "--connections", str(IN_FLIGHT))
        )
        ended = time.time()
    arrived = [at for at, _ in stream.fills.values() if started + RAMP_S <= at <= ended]
    return {
        "fills_per_s": len(arrived) / (ended - started - RAMP_S),
        "accepted_per_s": result["statuses"].get("201", 0) / result["elapsed_s"],
        "post_p99_ms": result["p99_ms"],
        "window": window.describe(),
    }


def _executed_at(platform: RunningPlatform, api: httpx.Client) -> dict[str, float]:
    """fill id -> the venue's execution time, from GET /api/v1/fills (every page)."""
    executed: dict[str, float] = {}
    page = api.get("/api/v1/fills", params={"limit": 200}).json()
    while True:
        for fill in page["results"]:
            executed[fill["fill_id"]] = datetime.fromisoformat(fill["executed_at"]).timestamp()
        if not page["next"]:
            return executed
        page = api.get(page["next"]).json()


def paced(platform: RunningPlatform, api: httpx.Client, stream: Stream) -> dict[str, Any]:
    with measured() as window:
        result, _ = loadgen(
            *_post_args(
                platform,
                "--rate",
                str(PACED_RATE),
                "--seconds",
                str(PACED_S),
                "--connections",
                str(IN_FLIGHT),
            )
        )
        orders = {order: sent for sent, _, status, order in result["records"] if status == 201}
        eventually(lambda: all(o in stream.filled for o in orders), 180, 0.1, "paced fills")
    to_filled = [(stream.filled[o] - sent) * 1000 for o, sent in orders.items()]
    executed = _executed_at(platform, api)
    mine = [
        (fill, at)
        for fill, (at, order) in stream.fills.items()
        if order in orders and fill in executed
    ]
    to_ws = [(at - executed[fill]) * 1000 for fill, at in mine]
    # Where that time goes: venue -> store (adapter, Kafka, ingest) and store -> websocket
    # (outbox publisher, Kafka, ws-gateway), from each delta's updated_at.
    to_store = [(stream.stored[f] - executed[f]) * 1000 for f, _ in mine if f in stream.stored]
    store_to_ws = [(at - stream.stored[f]) * 1000 for f, at in mine if f in stream.stored]
    return {
        "orders": len(orders),
        "venue_to_store_ms": to_store,
        "store_to_ws_ms": store_to_ws,
        "post_p99_ms": result["p99_ms"],
        "to_filled_ms": to_filled,
        "fill_to_ws_ms": to_ws,
        "window": window.describe(),
    }


def sampling(
    platform: RunningPlatform, parts: list[str], seconds: float
) -> profiles.Sampling | None:
    """py-spy on these parts for `seconds` from now (None: py-spy is not installed)."""
    executable = profiles.py_spy()
    if executable is None:
        return None
    pids = platform.pids()
    folder = platform.var_dir / "profiles"
    folder.mkdir(parents=True, exist_ok=True)
    chosen = {part: pids[part] for part in parts if part in pids}
    return profiles.Sampling(executable, folder, seconds, chosen).start()
