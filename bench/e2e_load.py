"""Figures across real processes: the platform started as `make run` starts it, on free ports.

The load comes from `bench.loadgen` in a process of its own; a websocket client in this
process records when each order's deltas arrive. Phases, one platform:
- seed order: POST -> `filled` with zero venue latency (median of several)
- burst: 500 orders, 50 in flight: accepted/s, POST p99, fills/s, CPU per order per process
  (psutil: each part's CPU time, with its children, before and after the burst)
- paced: 50 orders/s for PACED_S: POST -> filled and venue fill -> websocket delta, p50/p99
- GET order snapshot, 16 connections: the web tier against daphne-only (bench.web_tier)
- sustained, last (its backlog is never drained): 50 POSTs in flight for SUSTAIN_S; fills/s
  reaching the websocket once the pipeline is full (after RAMP_S), i.e. what it keeps up
Every figure goes to var/bench/report.json too (bench.report), with the machine's load.
"""

from __future__ import annotations

import json
import os
import statistics
import tempfile
import threading
import time
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

import httpx
from websockets.sync.client import connect

from bench import profiles, report
from bench.procs import cpu_seconds, loadgen, measured
from bench.web_tier import snapshot_rps
from tests.support.platform import RunningPlatform, eventually, start_platform

ENDED = {"filled", "canceled", "expired", "rejected"}
RESULTS: dict[str, Any] = {}
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


def _books(platform: RunningPlatform, asks: dict[str, list[list[str]]]) -> None:
    with httpx.Client(base_url=f"{platform.simulator_url}/control", timeout=10) as control:
        for venue, levels in asks.items():
            control.put(f"/faults/{venue}", json={}).raise_for_status()
            control.put(
                f"/books/{venue}/BTC-USD", json={"asks": levels, "bids": [["9900", "1000"]]}
            ).raise_for_status()


def _has_ended(api: httpx.Client, path: str) -> bool:
    return api.get(path).json()["state"] in ENDED


def _seed_latency(platform: RunningPlatform, api: httpx.Client, runs: int = 5) -> list[float]:
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


def _idle(platform: RunningPlatform, seconds: float = 5) -> dict[str, Any]:
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


def _burst(platform: RunningPlatform, stream: Stream) -> dict[str, Any]:
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


def _sustained(platform: RunningPlatform, stream: Stream) -> dict[str, Any]:
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


def _paced(platform: RunningPlatform, api: httpx.Client, stream: Stream) -> dict[str, Any]:
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


def _sampling(
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


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))] if ordered else float("nan")


def _record(burst: dict[str, Any], sustained: dict[str, Any], paced: dict[str, Any]) -> None:
    cpu = burst["cpu_ms_per_order"]
    total = sum(cpu.values())
    report.add(
        "cpu_per_order_total", total, "ms", 8, "lower", compared_with={"issue 11 baseline": 72}
    )
    for name, value in cpu.items():
        report.add(f"cpu_per_order.{name}", value, "ms", None, "lower")
    report.add(
        "accepted_orders_per_s_50_in_flight",
        burst["accepted_per_s"],
        "orders/s",
        300,
        "higher",
        compared_with={"issue 11 baseline": 30},
    )
    report.add("post_p99_ms_50_in_flight", burst["post_p99_ms"], "ms", 100, "lower")
    report.add(
        "fills_per_s_sustained",
        sustained["fills_per_s"],
        "fills/s",
        200,
        "higher",
        compared_with={"issue 11 baseline": 28},
        note=f"50 in flight for {SUSTAIN_S:.0f} s",
    )
    for label, values, goals in (
        ("paced_post_to_filled", paced["to_filled_ms"], (50, 200)),
        ("paced_fill_to_ws", paced["fill_to_ws_ms"], (15, 60)),
    ):
        for p, goal in zip((0.5, 0.99), goals, strict=True):
            name = f"{label}_p{int(p * 100)}_ms"
            report.add(name, _pct(values, p), "ms", goal, "lower", note=f"50/s for {PACED_S:.0f} s")


def _record_snapshot(rps: dict[str, dict[str, Any]]) -> None:
    (new, figures), *others = rps.items()
    report.add(
        "get_order_snapshot_rps_16_connections",
        figures["rps"],
        "requests/s",
        1500,
        "higher",
        compared_with={name: round(f["rps"], 1) for name, f in others},
        note=new,
    )
    report.add(
        "get_order_snapshot_server_cpu_ms",
        figures["server_cpu_ms_per_request"],
        "ms/request",
        None,
        "lower",
        compared_with={name: round(f["server_cpu_ms_per_request"], 2) for name, f in others},
    )


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
            _books(platform, {"SIM-A": [["9980", "100000"]], "SIM-B": [["9990", "100000"]]})
            time.sleep(0.3)
            stream = Stream(platform)
            try:
                idle = _idle(platform)
                burst = _burst(platform, stream)
                paced = _paced(platform, api, stream)
                some_order = api.get("/api/v1/orders").json()["results"][0]["order_id"]
                web_spy = _sampling(platform, ["web"], SNAPSHOT_SAMPLE_S)
                rps = snapshot_rps(platform, some_order)
                web_sampled = web_spy.finish() if web_spy else {}
                targets = profiles.sample_targets(burst["cpu_ms_per_order"])
                spy = _sampling(platform, targets, SUSTAIN_S)
                sustained = _sustained(platform, stream)
                sampled = spy.finish() if spy else {}
            finally:
                stream.close()
        finally:
            platform.stop()
    RESULTS["cross"] = {
        "cpu_ms_per_order": burst["cpu_ms_per_order"],
        "sampled": sampled,
        "web": {
            "sampled": web_sampled.get("web"),
            "server_cpu_ms_per_request": next(iter(rps.values()))["server_cpu_ms_per_request"],
        },
    }
    RESULTS.update(seed=seed, latencies=paced["fill_to_ws_ms"])
    report.add("seed_order_post_to_filled_median_ms", statistics.median(seed), "ms", 300, "lower")
    report.add("idle_cpu_ms_per_s_total", sum(idle["cpu"].values()) * 1000, "ms/s", None, "lower")
    report.add("idle_cpu_ms_per_s.kafka", idle["cpu"].get("kafka", 0) * 1000, "ms/s", None, "lower")
    for name, values in (
        ("paced_venue_to_store", paced["venue_to_store_ms"]),
        ("paced_store_to_ws", paced["store_to_ws_ms"]),
    ):
        report.add(f"{name}_p50_ms", _pct(values, 0.5), "ms", None, "lower")
        report.add(f"{name}_p99_ms", _pct(values, 0.99), "ms", None, "lower")
    _record(burst, sustained, paced)
    _record_snapshot(rps)
    cpu = burst["cpu_ms_per_order"]
    lines = [
        "## Across real processes (platform as `make run` starts it)",
        "",
        f"Load from `bench.loadgen` in its own process. Burst: {burst['window']}. "
        f"Paced: {paced['window']}. Sustained: {sustained['window']}.",
        "",
        "| figure | value | goal |",
        "| --- | ---: | ---: |",
        f"| seed order POST -> filled, median of {len(seed)} (ms) | {statistics.median(seed):.0f} | 300 |",
        f"| CPU per order, all processes ({burst['accepted']} orders, {IN_FLIGHT} in flight) | {sum(cpu.values()):.1f} ms | 8 ms |",
        *(f"| ... {name} | {value:.2f} ms | |" for name, value in cpu.items()),
        f"| (the load generator itself, not counted) | {burst['loadgen_cpu_ms_per_order']:.2f} ms | |",
        f"| accepted orders / s, {IN_FLIGHT} in flight | {burst['accepted_per_s']:,.0f} | 300 |",
        f"| POST p50 / p99, {IN_FLIGHT} in flight (ms) | {burst['post_p50_ms']:.0f} / {burst['post_p99_ms']:.0f} | - / 100 |",
        f"| fills / s, the burst (POSTs -> last fill at the websocket) | {burst['fills_per_s']:,.0f} | |",
        f"| fills / s at the websocket, {IN_FLIGHT} POSTs in flight for {SUSTAIN_S:.0f} s (after {RAMP_S:.0f} s) | {sustained['fills_per_s']:,.0f} | 200 |",
        f"| ... accepted orders / s and POST p99 (ms) meanwhile | {sustained['accepted_per_s']:,.0f} / {sustained['post_p99_ms']:.0f} | |",
        f"| paced {PACED_RATE:.0f}/s for {PACED_S:.0f} s ({paced['orders']} orders): POST -> filled p50 / p99 (ms) | {_pct(paced['to_filled_ms'], 0.5):.0f} / {_pct(paced['to_filled_ms'], 0.99):.0f} | 50 / 200 |",
        f"| paced: venue fill -> websocket delta p50 / p99 (ms) | {_pct(paced['fill_to_ws_ms'], 0.5):.0f} / {_pct(paced['fill_to_ws_ms'], 0.99):.0f} | 15 / 60 |",
        f"| ... of which venue fill -> store (adapter, Kafka, ingest) p50 / p99 | {_pct(paced['venue_to_store_ms'], 0.5):.0f} / {_pct(paced['venue_to_store_ms'], 0.99):.0f} | |",
        f"| ... and store -> websocket (publisher, Kafka, ws-gateway) p50 / p99 | {_pct(paced['store_to_ws_ms'], 0.5):.0f} / {_pct(paced['store_to_ws_ms'], 0.99):.0f} | |",
        f"| idle platform, CPU per second of each part ({idle['window']}) | {sum(idle['cpu'].values()) * 1000:.0f} ms/s | |",
        *(
            f"| ... idle {name} | {v * 1000:.0f} ms/s | |"
            for name, v in idle["cpu"].items()
            if v >= 0.005
        ),
        "",
        "GET /api/v1/orders/{id}, 16 connections, same order, same platform:",
        "",
        "| web tier | requests/s | p99 (ms) | server CPU / request (ms) | machine |",
        "| --- | ---: | ---: | ---: | --- |",
        *(
            f"| {name} | {f['rps']:,.0f} | {f['p99_ms']:.0f} | {f['server_cpu_ms_per_request']:.2f} | {f['window']} |"
            for name, f in rps.items()
        ),
        "",
    ]
    if burst["restarted"]:
        lines += [f"Restarted during the burst (CPU undercounted): {burst['restarted']}", ""]
    return lines
