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

import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from bench import e2e_load as load
from bench import profiles, report
from bench.e2e_load import (
    IN_FLIGHT,
    PACED_RATE,
    PACED_S,
    RAMP_S,
    SNAPSHOT_SAMPLE_S,
    SUSTAIN_S,
    Stream,
)
from bench.web_tier import snapshot_rps
from tests.support.platform import start_platform

RESULTS: dict[str, Any] = {}


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
            seed = load.seed_latency(platform, api)
            load.books(platform, {"SIM-A": [["9980", "100000"]], "SIM-B": [["9990", "100000"]]})
            time.sleep(0.3)
            stream = Stream(platform)
            try:
                idle = load.idle(platform)
                burst = load.burst(platform, stream)
                paced = load.paced(platform, api, stream)
                some_order = api.get("/api/v1/orders").json()["results"][0]["order_id"]
                web_spy = load.sampling(platform, ["web"], SNAPSHOT_SAMPLE_S)
                rps = snapshot_rps(platform, some_order)
                web_sampled = web_spy.finish() if web_spy else {}
                targets = profiles.sample_targets(burst["cpu_ms_per_order"])
                spy = load.sampling(platform, targets, SUSTAIN_S)
                sustained = load.sustained(platform, stream)
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
