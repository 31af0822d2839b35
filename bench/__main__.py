"""`make bench`: every benchmark of the project; writes var/bench/report.md (and a chart) and
var/bench/report.json (bench.report: one entry per figure, stable names).

A bench module joins by its name in MODULES: it has `section() -> list[str]` (its lines of
report.md) and calls `bench.report.add(...)` for each figure of report.json.

Figures depend on the machine and on what else runs on it: each is printed beside what it
was measured against in the same run.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wiring.settings")
# A developer tool: like a developer machine it may make var/secret-key when none is set.
os.environ.setdefault("DJANGO_DEBUG", "1")
# The GET benchmark sends ~4 x 3 s of requests with one token, near the goal 18,000 a minute:
# over the API's 6000/min per user, which would measure the throttle's 429s, not the web tier.
os.environ.setdefault("EDGE_API_THROTTLE_RATE", "1000000/min")

import django  # noqa: E402

django.setup()

from bench import report, trading_core  # noqa: E402
from bench.store_bench import bench_store  # noqa: E402

REPORT = Path(os.environ.get("VAR_DIR", "var")) / "bench" / "report.md"
# Each module's section, in this order; a module that is not there is skipped.
MODULES = ("bench.e2e", "bench.ws_bench")


def _chart(path: Path) -> Path | None:
    """Latency percentiles of the end-to-end figures as a PNG (matplotlib, no display)."""
    try:
        from bench.e2e import RESULTS
    except ImportError:
        return None
    if not RESULTS.get("latencies"):
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    percentiles = [50, 75, 90, 95, 99]
    figure, axis = plt.subplots(figsize=(7, 4))
    for label, values in (
        ("fill -> websocket", RESULTS["latencies"]),
        ("seed order POST -> filled", RESULTS["seed"]),
    ):
        ordered = sorted(values)
        points = [ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] for p in percentiles]
        axis.plot(percentiles, points, marker="o", label=label)
    axis.set_xlabel("percentile")
    axis.set_ylabel("milliseconds")
    axis.set_title("Latency percentiles")
    axis.legend()
    axis.grid(alpha=0.3)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(figure)
    return path


def main() -> int:
    started = time.perf_counter()
    lines = [
        "# Benchmarks",
        "",
        f"Machine: {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f} at the start. "
        f"Python {sys.version.split()[0]}.",
        "",
    ]
    core = trading_core.figures()  # trading-core and the store, each beside its comparison
    report.extend(core)
    lines += trading_core.section(core)
    with tempfile.TemporaryDirectory() as folder:
        store = bench_store(str(Path(folder) / "store.sqlite3"))
    lines += [
        f"The store alone: {store['store_transactions_per_s']:,.0f} small transactions / s "
        f"({store['reads_per_transaction']} reads, {store['writes_per_transaction']} writes).",
        "",
    ]
    for name in MODULES:
        try:
            module = __import__(name, fromlist=["section"])
        except ModuleNotFoundError as missing:
            if missing.name != name:
                raise
            continue
        lines += module.section()
    from bench import profile_report
    from bench.e2e import RESULTS

    lines += profile_report.goals()
    lines += profile_report.section(RESULTS.get("cross", {}))
    chart = _chart(REPORT.parent / "latency.png")
    if chart:
        lines += [f"![latency percentiles]({chart.name})", ""]
    lines.append(
        f"Whole run: {time.perf_counter() - started:.0f} s; load {os.getloadavg()[0]:.1f} at the end."
    )
    report.write(REPORT.parent / "report.json")
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    print(f"\nwritten to {REPORT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
