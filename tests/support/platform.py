"""The whole platform as `make run` starts it, in a temporary directory on free ports."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from infra.bus.local_broker import free_port

ROOT = Path(__file__).resolve().parents[2]
# The seed scenario's order: buy 3 BTC-USD at 10,000 at the most.
SEED_ORDER = {"instrument": "BTC-USD", "side": "buy", "quantity": "3.0", "limit_price": "10000"}
T = TypeVar("T")


def eventually(
    check: Callable[[], T], timeout_s: float = 30, interval_s: float = 0.05, what: str = ""
) -> T:
    """Poll `check` until it returns something truthy; fail with `what` after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    last: T | None = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(interval_s)
    raise AssertionError(f"not within {timeout_s} s: {what or check} (last: {last!r})")


@dataclass
class RunningPlatform:
    process: subprocess.Popen[bytes]
    var_dir: Path
    web_port: int
    simulator_port: int
    kafka_port: int
    token: str
    env: dict[str, str]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    @property
    def simulator_url(self) -> str:
        return f"http://127.0.0.1:{self.simulator_port}"

    @property
    def store_path(self) -> str:
        return str(self.var_dir / "store.sqlite3")

    def pids(self) -> dict[str, int]:
        """part -> its pid now, as supervisord reports it (plus supervisord's own)."""
        from wiring.supervisor import processes

        pids = {name: int(info["pid"]) for name, info in processes(self.var_dir).items()}
        pids["supervisord"] = json.loads((self.var_dir / "run" / "pids.json").read_text())[
            "supervisord"
        ]
        return pids

    def log(self, name: str) -> str:
        path = self.var_dir / "log" / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def kill_everything(self) -> None:
        """A power cut: kill -9 of run_platform, supervisord and every part.

        supervisord (in run_platform's group) goes first: alive a moment longer, it would
        restart a part killed before it, and that orphan would hold the part's port.
        """
        _kill(self.process, [pid for name, pid in self.pids().items() if name != "supervisord"])

    def manage(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=150)  # a drained stop: each part in turn
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        return self.process.returncode


def start_platform(
    var_dir: Path, timeout_s: float = 240, again: RunningPlatform | None = None
) -> RunningPlatform:
    """Start `make run`'s platform; `again`: the same ports and Celery queues as that run."""
    if again is not None:
        web, sim, kafka = again.web_port, again.simulator_port, again.kafka_port
        fix = int(again.env["FIX_PORT"])
    else:
        web, sim, kafka, fix = free_port(), free_port(), free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.update(
        VAR_DIR=str(var_dir),
        DATABASE_URL=f"sqlite:///{var_dir / 'backoffice.sqlite3'}",
        WEB_PORT=str(web),
        SIMULATOR_PORT=str(sim),
        KAFKA_PORT=str(kafka),
        FIX_PORT=str(fix),
        VENUE_SIMULATOR_URL=f"http://127.0.0.1:{sim}",
        CELERY_KEY_PREFIX=(
            again.env["CELERY_KEY_PREFIX"] if again else f"test-{uuid.uuid4().hex[:8]}:"
        ),
        PYTHONUNBUFFERED="1",
    )
    env.pop("KAFKA_BOOTSTRAP_SERVERS", None)
    env.pop("VENUE_FIX_ADDRESS", None)  # run_platform derives it from FIX_PORT
    for name in ("DJANGO_TESTING", "DJANGO_SECRET_KEY", "CACHE_KEY_PREFIX"):  # as `make run`
        env.pop(name, None)
    var_dir.mkdir(parents=True, exist_ok=True)
    out = open(var_dir / "run_platform.log", "ab")  # noqa: SIM115 - the child owns it
    process = subprocess.Popen(
        [sys.executable, "manage.py", "run_platform"],
        cwd=ROOT,
        env=env,
        stdout=out,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    out.close()

    def ready() -> bool:  # a ready file of a killed run on the same VAR_DIR names another pid
        try:
            return bool(json.loads((var_dir / "run" / "ready").read_text())["pid"] == process.pid)
        except (FileNotFoundError, ValueError, KeyError):
            return False

    try:
        eventually(
            lambda: ready() or process.poll() is not None,
            timeout_s,
            0.2,
            "the platform to be ready",
        )
    except AssertionError:  # a part that never answered: leave none of them behind
        try:
            started = json.loads((var_dir / "run" / "pids.json").read_text())
        except (FileNotFoundError, ValueError):
            started = {}
        _kill(process, [pid for name, pid in started.items() if name != "supervisord"])
        raise
    if process.poll() is not None:
        raise RuntimeError((var_dir / "run_platform.log").read_text(errors="replace")[-4000:])
    token = (var_dir / "demo-token").read_text().strip()
    env["KAFKA_BOOTSTRAP_SERVERS"] = f"127.0.0.1:{kafka}"
    return RunningPlatform(process, var_dir, web, sim, kafka, token, env)


def _kill(process: subprocess.Popen[bytes], parts: list[int]) -> None:
    os.killpg(process.pid, signal.SIGKILL)  # its own session: run_platform, supervisord
    process.wait()
    for pid in parts:  # each part leads its own process group (supervisord's setpgrp)
        try:
            if pid > 0:
                os.killpg(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is gone for our purposes
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False
