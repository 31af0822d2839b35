"""The platform's process list: every part's argv, readiness, wave, stop signal and wait.

`platform_parts` is the one list of parts; wiring/supervisor.py runs them under supervisord.
"""

from __future__ import annotations

import os
import socket
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

from wiring.web_server import web_argv

PYTHON = sys.executable
BIN = Path(PYTHON).parent

Ready = Callable[[float], bool]  # given the part's start time (epoch s): is it serving?


def port_open(port: int) -> Ready:
    def check(started: float) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return True
        except OSError:
            return False

    return check


def http_ok(url: str) -> Ready:
    def check(started: float) -> bool:
        try:
            return httpx.get(url, timeout=1).status_code < 500
        except httpx.HTTPError:
            return False

    return check


def venue_streaming(venue: str) -> Ready:
    """Ready when the venue pool has followed its stream far enough to quote the venue."""

    def check(started: float) -> bool:
        from infra.store import database
        from infra.store.api import run
        from trading.repository import Repository

        return run(database(), lambda tr: Repository(tr).quote(venue, "BTC-USD")) is not None

    return check


def consumer_ready(name: str) -> Ready:
    """The consumer's ready file, only if this very process wrote it (never a killed one's)."""
    from infra.bus.consume import ready_file

    def check(started: float) -> bool:
        try:
            return ready_file(name).stat().st_mtime >= started - 1  # supervisord's start is in s
        except FileNotFoundError:
            return False

    return check


@dataclass
class Part:
    name: str
    argv: list[str]
    ready: Ready | None = None
    ready_timeout_s: float = 120  # a bound on a loaded machine, not an expectation
    stop_signal: str = "TERM"
    stop_wait_s: int = 10  # then SIGKILL to the part's whole process group
    signal_group: bool = True  # False: the stop signal reaches the parent only (Celery)
    # Parts of one wave start together; a wave starts once every part before it answers.
    # Wave 0 is what the rest talk to (the broker, the venues); the others only need those.
    wave: int = 1


@dataclass(frozen=True)
class Ports:
    web: int = 8000
    simulator: int = 8100
    kafka: int = 9092
    fix: int = 8101  # the simulator's FIX 4.4 acceptor (SIM-F)


def platform_env(var_dir: Path, ports: Ports, base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment every part shares; each outside part can be overridden beforehand."""
    env = dict(base if base is not None else os.environ)
    env.setdefault("VAR_DIR", str(var_dir))
    env.setdefault("STORE_PATH", str(var_dir / "store.sqlite3"))
    env.setdefault("KAFKA_BOOTSTRAP_SERVERS", f"127.0.0.1:{ports.kafka}")
    env.setdefault("VENUE_SIMULATOR_URL", f"http://127.0.0.1:{ports.simulator}")
    env.setdefault("VENUE_FIX_ADDRESS", f"127.0.0.1:{ports.fix}")
    env.setdefault("DJANGO_SETTINGS_MODULE", "wiring.settings")
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


def platform_parts(
    ports: Ports,
    *,
    local_kafka: bool = True,
    venues: tuple[str, ...] = ("SIM-A", "SIM-B", "SIM-F"),
    fix_venues: tuple[str, ...] | None = None,
) -> list[Part]:
    """Every part, in start order (by wave); the stop order is the reverse (intake first,
    broker last). The FIX venues are settings.FIX_VENUES unless given."""
    if fix_venues is None:
        from django.conf import settings

        fix_venues = tuple(settings.FIX_VENUES)
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
                wave=0,
            )
        )
    simulator = [PYTHON, "-m", "venues.simulator", "--host", "127.0.0.1"]
    parts.append(
        Part(
            "simulator",
            [
                *simulator,
                "--port",
                str(ports.simulator),
                "--fix-port",
                str(ports.fix),
                "--seed-books",
            ],
            http_ok(f"http://127.0.0.1:{ports.simulator}/control/health"),
            wave=0,
        )
    )
    parts.append(Part("projector", [*manage, "run_projector"], consumer_ready("projector")))
    parts.append(Part("publisher", [*manage, "run_outbox_publisher"]))
    # ingest stops after the venue pools and drains what Kafka holds for it (run_consumer).
    parts.append(Part("ingest", [*manage, "run_ingest"], consumer_ready("ingest"), stop_wait_s=20))
    for venue in venues:
        celery = [str(BIN / "celery"), "-A", "wiring.celery", "worker", "-Q", f"venue.{venue}"]
        parts.append(
            Part(
                f"venue-{venue}",
                [
                    *celery,
                    "-n",
                    f"venue-{venue.lower()}@%h",
                    *_pool(venue in fix_venues),
                    "--without-gossip",
                    "--without-mingle",
                    "-l",
                    "INFO",
                ],
                venue_streaming(venue),
                # SIGTERM to the parent only is Celery's warm shutdown: no new commands, the
                # running ones finish. The pool's children would die at once on their own TERM.
                signal_group=False,
                stop_wait_s=20,
            )
        )
    parts.append(
        Part(
            "web",
            web_argv("127.0.0.1", ports.web),
            http_ok(f"http://127.0.0.1:{ports.web}/healthz"),
        )
    )
    return parts


def _pool(fix: bool) -> list[str]:
    if fix:
        # One FIX session per process: the tasks run in threads beside it, never in forked
        # children (which could not share its socket or its sequence numbers).
        return ["--pool", "threads", "--concurrency", "4"]
    # ops grows and shrinks a prefork pool; max,min bounds can be changed from /ops/pools
    return ["--pool", "prefork", "--autoscale", "4,2"]
