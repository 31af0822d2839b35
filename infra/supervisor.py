"""One supervisor for every process of the platform, as `make run` starts them.

Each part is a real process in its own session (so a signal reaches its children too), with
its log under var/log/. Parts start in order, each waited on until it answers; stop is the
reverse: SIGTERM, a grace period, then SIGKILL. The pids are in var/run/pids.json.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from infra.web_server import web_argv

PYTHON = sys.executable
BIN = Path(PYTHON).parent
STOP_GRACE_S = 10.0


def port_open(port: int) -> Callable[[], bool]:
    def check() -> bool:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return True
        except OSError:
            return False

    return check


def http_ok(url: str) -> Callable[[], bool]:
    def check() -> bool:
        try:
            return httpx.get(url, timeout=1).status_code < 500
        except httpx.HTTPError:
            return False

    return check


@dataclass
class Part:
    name: str
    argv: list[str]
    ready: Callable[[], bool] | None = None
    ready_timeout_s: float = 60
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)


@dataclass(frozen=True)
class Ports:
    web: int = 8000
    simulator: int = 8100
    kafka: int = 9092


def venue_streaming(venue: str) -> Callable[[], bool]:
    """Ready when the venue pool has followed its stream far enough to quote the venue."""

    def check() -> bool:
        from infra.store import database
        from infra.store.api import run
        from trading.repository import Repository

        return run(database(), lambda tr: Repository(tr).quote(venue, "BTC-USD")) is not None

    return check


def consumer_ready(name: str) -> Callable[[], bool]:
    from infra.bus.consume import ready_file

    return lambda: ready_file(name).exists()


def platform_env(var_dir: Path, ports: Ports, base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment every part shares; each outside part can be overridden beforehand."""
    env = dict(base if base is not None else os.environ)
    env.setdefault("VAR_DIR", str(var_dir))
    env.setdefault("STORE_PATH", str(var_dir / "store.sqlite3"))
    env.setdefault("KAFKA_BOOTSTRAP_SERVERS", f"127.0.0.1:{ports.kafka}")
    env.setdefault("VENUE_SIMULATOR_URL", f"http://127.0.0.1:{ports.simulator}")
    env.setdefault("DJANGO_SETTINGS_MODULE", "infra.settings")
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


def platform_parts(
    ports: Ports, *, local_kafka: bool = True, venues: tuple[str, ...] = ("SIM-A", "SIM-B")
) -> list[Part]:
    manage = [PYTHON, "manage.py"]
    parts = []
    if local_kafka:
        from infra.bus.local_broker import broker_binary

        url = f"tcp://127.0.0.1:{ports.kafka}"
        parts.append(
            Part(
                "kafka",
                [
                    broker_binary(),
                    "broker",
                    "--listener-url",
                    url,
                    "--advertised-listener-url",
                    url,
                ],
                port_open(ports.kafka),
            )
        )
    parts.append(
        Part(
            "simulator",
            [
                PYTHON,
                "-m",
                "venues.simulator",
                "--host",
                "127.0.0.1",
                "--port",
                str(ports.simulator),
                "--seed-books",
            ],
            http_ok(f"http://127.0.0.1:{ports.simulator}/control/health"),
        )
    )
    parts.append(
        Part(
            "web",
            web_argv("127.0.0.1", ports.web),
            http_ok(f"http://127.0.0.1:{ports.web}/healthz"),
        )
    )
    for venue in venues:
        parts.append(
            Part(
                f"venue-{venue}",
                [
                    str(BIN / "celery"),
                    "-A",
                    "infra.celery",
                    "worker",
                    "-Q",
                    f"venue.{venue}",
                    "-n",
                    f"venue-{venue.lower()}@%h",
                    "--pool",
                    "prefork",  # ops grows and shrinks it (docs/architecture.md)
                    "--autoscale",
                    "4,2",  # max,min: ops can change the bounds from /ops/pools
                    "--without-gossip",
                    "--without-mingle",
                    "-l",
                    "INFO",
                ],
                venue_streaming(venue),
            )
        )
    parts.append(Part("publisher", [*manage, "run_outbox_publisher"]))
    parts.append(Part("ingest", [*manage, "run_ingest"], consumer_ready("ingest")))
    parts.append(Part("projector", [*manage, "run_projector"], consumer_ready("projector")))
    return parts


class Supervisor:
    def __init__(self, parts: list[Part], env: dict[str, str], var_dir: Path, cwd: Path) -> None:
        self.parts, self.env, self.var_dir, self.cwd = parts, env, var_dir, cwd
        (var_dir / "log").mkdir(parents=True, exist_ok=True)
        (var_dir / "run").mkdir(parents=True, exist_ok=True)
        for stale in (var_dir / "run").glob("*.ready"):  # left by a run that was killed
            stale.unlink()

    def start(self) -> None:
        for part in self.parts:
            log = open(self.var_dir / "log" / f"{part.name}.log", "ab")  # noqa: SIM115 - owned by the child
            part.process = subprocess.Popen(
                part.argv,
                cwd=self.cwd,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            log.close()
            self._write_pids()
            if part.ready is not None:
                self._wait_ready(part)

    def _wait_ready(self, part: Part) -> None:
        deadline = time.monotonic() + part.ready_timeout_s
        assert part.process is not None and part.ready is not None
        while time.monotonic() < deadline:
            if part.process.poll() is not None:
                raise RuntimeError(
                    f"{part.name} exited ({part.process.returncode}): see var/log/{part.name}.log"
                )
            if part.ready():
                return
            time.sleep(0.1)
        raise RuntimeError(f"{part.name} was not ready within {part.ready_timeout_s} s")

    def dead(self) -> list[str]:
        return [
            p.name for p in self.parts if p.process is not None and p.process.poll() is not None
        ]

    def stop(self) -> None:
        running = [
            p for p in reversed(self.parts) if p.process is not None and p.process.poll() is None
        ]
        for part in running:
            _signal_group(part, signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_S
        for part in running:
            assert part.process is not None
            try:
                part.process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                _signal_group(part, signal.SIGKILL)
                part.process.wait(timeout=5)
        for part in self.parts:  # anything a part left behind in its session
            _signal_group(part, signal.SIGKILL)

    def _write_pids(self) -> None:
        pids = {p.name: p.process.pid for p in self.parts if p.process is not None}
        (self.var_dir / "run" / "pids.json").write_text(json.dumps(pids))


def _signal_group(part: Part, sig: int) -> None:
    if part.process is None:
        return
    try:
        os.killpg(part.process.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass
