"""Where the time goes, for every figure of `make bench` whose goal is not met (issue 11).

- In-process figures (trading-core's place_order and apply_execution_report): the same work
  again, smaller, under cProfile; the top 10 functions by self time, per operation.
- Figures across processes: CPU ms per order of each part (psutil, from the burst), ranked,
  naming the part that dominates; and, when py-spy is installed (the dev extra pins it), a
  sampling of the busiest Python parts under load (`py-spy record --subprocesses`), the top 10
  functions by the samples in which they were running (self), as a share of the part's samples.

Each profile goes into report.md ("Where the time goes") and into report.json, on the figure
(`profile`). Profiles never change a figure: they run after it was measured.
"""

from __future__ import annotations

import cProfile
import os
import pstats
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

TOP = 10
ROOT = Path(__file__).resolve().parents[1]
# Ranked, never sampled: the broker is not Python; supervisord's subprocesses are every part.
NOT_SAMPLED = {"kafka", "supervisord", "supervisor"}
# A thread parked in one of these is waiting, not working; py-spy's idle detection misses
# waits whose C call released the GIL (a Condition, an epoll): counted apart as "waiting".
WAITING = re.compile(
    r"^(Condition\.wait|Event\.wait|_epoll\.poll|.*\bselect|.*\.sleep|sleep|Runner\.run"
    r"|_worker \(concurrent/futures/thread\.py|BaseEventLoop\.run_forever|wait \(threading)"
)


# --- in process: cProfile ------------------------------------------------------------------------


def _where(path: str, line: int, name: str) -> str:
    if path == "~":
        return name  # a builtin: "<method 'execute' of 'sqlite3.Cursor' objects>"
    short = os.path.relpath(path, ROOT) if path.startswith(str(ROOT)) else _site(path)
    return f"{name} ({short}:{line})"


def _site(path: str) -> str:
    marker = "site-packages/"
    return path.split(marker, 1)[1] if marker in path else os.path.basename(path)


def _profiled(kind: str, orders: int) -> cProfile.Profile:
    """`orders` of one trading-core operation, as bench/core.py runs them, under cProfile
    (only that operation: placing the orders a fill needs is not in a fill's profile)."""
    from infra.store.api import run
    from tests.support.reports import NOW, report
    from tests.support.store import TRADER, seeded_store
    from trading.services.place import PlaceOrder

    profile = cProfile.Profile()
    with tempfile.TemporaryDirectory() as folder:
        db = seeded_store(Path(folder))
        try:
            ids = [f"Oprof{i:07d}" for i in range(orders)]
            commands = [
                PlaceOrder(TRADER, o, "BTC-USD", "buy", "0.003", limit_price="10000") for o in ids
            ]
            fills = [
                report(o, "EA-1", "SIM-A", "trade", cum="0.001", qty="0.001", price="9980")
                for o in ids
            ]
            with _on(profile, kind == "place_order"):
                for command in commands:
                    run(db, partial(_place, command=command, now=NOW))
            with _on(profile, kind == "apply_execution_report"):
                if kind == "apply_execution_report":
                    for fill in fills:
                        run(db, partial(_apply, report=fill, now=NOW))
            with _on(profile, kind == "apply_execution_report_batched"):
                if kind == "apply_execution_report_batched":
                    for i in range(0, len(fills), 50):
                        run(db, partial(_apply_many, reports=fills[i : i + 50], now=NOW))
        finally:
            db.close()
    return profile


def _place(tr: Any, *, command: Any, now: Any) -> Any:
    from trading.services.place import place_order

    return place_order(tr, command, now)


def _apply(tr: Any, *, report: Any, now: Any) -> Any:
    from trading.services.execution import apply_execution_report

    return apply_execution_report(tr, report, now)


def _apply_many(tr: Any, *, reports: Any, now: Any) -> Any:
    from trading.services.execution import apply_execution_reports

    return apply_execution_reports(tr, reports, now)


@contextmanager
def _on(profile: cProfile.Profile, enabled: bool) -> Iterator[None]:
    if enabled:
        profile.enable()
    try:
        yield
    finally:
        if enabled:
            profile.disable()


IN_PROCESS = {
    "trading_core.place_order_per_s": "place_order",
    "trading_core.apply_execution_report_per_s": "apply_execution_report",
    "trading_core.apply_execution_report_batched_per_s": "apply_execution_report_batched",
}


def profile_in_process(kind: str, orders: int = 300) -> dict[str, Any]:
    """The top functions by self time of one trading-core operation, per operation."""
    stats = pstats.Stats(_profiled(kind, orders))
    rows = sorted(stats.stats.items(), key=lambda item: item[1][2], reverse=True)  # type: ignore[attr-defined]
    total = sum(entry[2] for _, entry in rows) or 1.0
    return {
        "tool": "cProfile",
        "operations": orders,
        "total_us_per_op": round(total / orders * 1e6, 1),
        "top": [
            {
                "function": _where(path, line, name),
                "calls_per_op": round(entry[1] / orders, 2),
                "self_us_per_op": round(entry[2] / orders * 1e6, 1),
                "cumulative_us_per_op": round(entry[3] / orders * 1e6, 1),
                "self_share": round(entry[2] / total, 3),
            }
            for (path, line, name), entry in rows[:TOP]
        ],
    }


# --- across processes: CPU per part and py-spy ---------------------------------------------------


def py_spy() -> str | None:
    """The py-spy executable of this environment (the dev extra), if installed."""
    beside = Path(sys.executable).parent / "py-spy"
    return str(beside) if beside.exists() else shutil.which("py-spy")


def ranked(cpu_ms_per_order: dict[str, float]) -> list[dict[str, Any]]:
    """Each part's CPU ms per order, busiest first, with its share of the total."""
    total = sum(cpu_ms_per_order.values()) or 1.0
    return [
        {"part": name, "cpu_ms_per_order": round(ms, 2), "share": round(ms / total, 3)}
        for name, ms in sorted(cpu_ms_per_order.items(), key=lambda kv: kv[1], reverse=True)
    ]


def sample_targets(cpu_ms_per_order: dict[str, float], how_many: int = 2) -> list[str]:
    """The busiest Python parts: the ones py-spy is pointed at."""
    return [r["part"] for r in ranked(cpu_ms_per_order) if r["part"] not in NOT_SAMPLED][:how_many]


@dataclass
class Sampling:
    """py-spy recording some parts for a while (`start`), then read (`finish`)."""

    executable: str
    folder: Path
    seconds: float
    pids: dict[str, int]
    running: dict[str, tuple[subprocess.Popen[bytes], Path]] = field(default_factory=dict)

    def start(self) -> Sampling:
        for part, pid in self.pids.items():
            out = self.folder / f"py-spy-{part}.txt"
            argv = [
                self.executable,
                "record",
                "--pid",
                str(pid),
                "--duration",
                str(max(1, round(self.seconds))),
                "--rate",
                "100",
                "--format",
                "raw",
                "--function",  # by function, not by line
                "--subprocesses",  # uvicorn workers, the Celery pool's children
                "--nonblocking",  # never pause the part being measured
                "--output",
                str(out),
            ]
            log = open(self.folder / f"py-spy-{part}.log", "wb")  # noqa: SIM115 - closed in finish
            process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
            log.close()
            self.running[part] = (process, out)
        return self

    def finish(self) -> dict[str, dict[str, Any]]:
        """part -> {"tool", "samples", "top": [{"function", "self_share"}]} or {"error"}."""
        found: dict[str, dict[str, Any]] = {}
        for part, (process, out) in self.running.items():
            try:
                process.wait(timeout=self.seconds + 30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            log = (self.folder / f"py-spy-{part}.log").read_text(errors="replace").strip()
            if not out.exists() or not out.read_text().strip():
                found[part] = {"tool": "py-spy", "error": log.splitlines()[-1] if log else "none"}
                continue
            found[part] = {"tool": "py-spy", **self_time(out.read_text())}
        return found


_LINE = re.compile(r"^(?P<stack>.*) (?P<count>[0-9]+)$")


def self_time(collapsed: str, top: int = TOP) -> dict[str, Any]:
    """From py-spy's raw (collapsed) stacks: the functions most often on top of the stack."""
    leaves: Counter[str] = Counter()
    processes: Counter[str] = Counter()
    total = waiting = 0
    for line in collapsed.splitlines():
        match = _LINE.match(line.strip())
        if not match:
            continue
        frames = match.group("stack").split(";")
        count = int(match.group("count"))
        total += count
        if frames and frames[0].startswith("process "):
            processes[_process_name(frames[0])] += count
        leaf = _short_frame(frames[-1])
        if WAITING.match(leaf):
            waiting += count
        else:
            leaves[leaf] += count
    return {
        "samples": total,
        "waiting_share": round(waiting / total, 3) if total else 0.0,
        "processes": [
            {"process": name, "share": round(n / total, 3)} for name, n in processes.most_common(4)
        ]
        if total
        else [],
        "top": [
            {"function": name, "self_share": round(n / total, 3)}
            for name, n in leaves.most_common(top)
        ]
        if total
        else [],
    }


def _process_name(frame: str) -> str:
    """'process 123:"python -m celery ... worker"' -> "celery worker" (shortened)."""
    command = frame.split(":", 1)[1].strip().strip('"') if ":" in frame else frame
    return " ".join(os.path.basename(word) for word in command.split())[:60]


def _short_frame(frame: str) -> str:
    """ "apply (trading/services/execution.py:40)" with the site-packages path cut."""
    frame = frame.replace(str(ROOT) + "/", "")
    return re.sub(r"\(/[^)]*site-packages/", "(", frame)


# --- the report ----------------------------------------------------------------------------------
