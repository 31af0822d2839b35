"""CPU time of the platform's processes (psutil), read before and after a piece of load."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import Any

import psutil

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and all its descendants (worker pools, uvicorn workers)."""
    try:
        process = psutil.Process(pid)
        total = sum(process.cpu_times()[:2])
        for child in process.children(recursive=True):
            try:
                total += sum(child.cpu_times()[:2])
            except psutil.NoSuchProcess:
                pass
        return total
    except psutil.NoSuchProcess:
        return 0.0


def sample(pids: dict[str, int]) -> dict[str, float]:
    return {name: cpu_seconds(pid) for name, pid in pids.items()}


def delta(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    return {name: max(0.0, after.get(name, 0.0) - before.get(name, 0.0)) for name in before}


@dataclass
class Window:
    """Wall time, the machine's load and its CPU use over one measurement."""

    wall_s: float = 0.0
    load_1m: float = 0.0
    machine_busy: float = 0.0  # share of all cores busy (every process on the machine)

    def describe(self) -> str:
        return (
            f"wall {self.wall_s:.1f} s, load {self.load_1m:.1f}, "
            f"machine {self.machine_busy * 100:.0f}% busy of {os.cpu_count()} cores"
        )


class measured:
    """`with measured() as window:` fills the window in at exit."""

    def __enter__(self) -> Window:
        self.window = Window()
        self.started = time.perf_counter()
        self.cpu = psutil.cpu_times()
        return self.window

    def __exit__(self, *exc: Any) -> None:
        after = psutil.cpu_times()
        busy = (after.user + after.system + after.nice) - (
            self.cpu.user + self.cpu.system + self.cpu.nice
        )
        total = sum(after) - sum(self.cpu)
        self.window.wall_s = time.perf_counter() - self.started
        self.window.load_1m = os.getloadavg()[0]
        self.window.machine_busy = busy / total if total else 0.0


def loadgen(*args: str, timeout: float = 300) -> tuple[dict[str, Any], float]:
    """Run `python -m bench.loadgen ARGS` in its own process: (its JSON, its CPU seconds)."""
    import json
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(
        [sys.executable, "-m", "bench.loadgen", *args],
        cwd=ROOT,
        capture_output=True,
        timeout=timeout,
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise RuntimeError(f"loadgen failed: {done.stderr.decode(errors='replace')[-2000:]}")
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return json.loads(done.stdout), cpu
