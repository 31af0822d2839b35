"""Every process of the platform under supervisord, as `make run` starts them.

`platform_parts` is the one list of parts (argv, readiness, start/stop order, stop signal and
wait). `Supervisor` writes supervisord's config under var/run/, runs supervisord as its child,
starts the parts in order through its XML-RPC interface, each waited on until it answers, and
lets supervisord restart any part that dies (with backoff, a log line in
var/log/supervisord.log). Stop asks supervisord to shut down: it stops the parts in reverse
priority order, each waited on before the next, so intake stops first and the broker last.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import time
import xmlrpc.client
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypedDict

import httpx

from infra.web_server import web_argv

PYTHON = sys.executable
BIN = Path(PYTHON).parent
SHUTDOWN_S = 120.0  # supervisord's own stop waits are per part; this bounds the whole stop

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
    env.setdefault("DJANGO_SETTINGS_MODULE", "infra.settings")
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


def platform_parts(
    ports: Ports,
    *,
    local_kafka: bool = True,
    venues: tuple[str, ...] = ("SIM-A", "SIM-B", "SIM-F"),
    fix_venues: tuple[str, ...] = ("SIM-F",),
) -> list[Part]:
    """Every part, in start order (by wave); the stop order is the reverse (intake first,
    broker last)."""
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
        celery = [str(BIN / "celery"), "-A", "infra.celery", "worker", "-Q", f"venue.{venue}"]
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
    # ops grows and shrinks a prefork pool; max,min bounds can be changed from /ops/pools.
    # Both 4 at start: a burst would otherwise fork children (and their clients) mid-load.
    return ["--pool", "prefork", "--autoscale", "4,4"]


def _ini(value: str) -> str:
    return value.replace("%", "%%")  # supervisord expands %(name)s in every value


def socket_path(var_dir: Path) -> Path:
    """var/run/supervisor.sock, or a short path in /tmp when that is past AF_UNIX's limit."""
    path = var_dir.resolve() / "run" / "supervisor.sock"
    if len(str(path)) < 100:
        return path
    digest = hashlib.sha256(str(path).encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"supervisor-{digest}.sock"


def supervisord_config(parts: list[Part], var_dir: Path, cwd: Path) -> str:
    """supervisord's config: one program per part, started by us in order, restarted by it."""
    log, run_dir = var_dir.resolve() / "log", var_dir.resolve() / "run"
    lines = [
        "[unix_http_server]",
        f"file={_ini(str(socket_path(var_dir)))}",
        "chmod=0700",
        "[supervisord]",
        "nodaemon=true",
        f"logfile={_ini(str(log / 'supervisord.log'))}",
        f"pidfile={_ini(str(run_dir / 'supervisord.pid'))}",
        f"childlogdir={_ini(str(log))}",
        "[rpcinterface:supervisor]",
        "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface",
    ]
    for priority, part in enumerate(parts, start=1):
        command = [PYTHON, "-m", "infra.launch", part.name, "--", *part.argv]
        lines += [
            f"[program:{part.name}]",
            f"command={_ini(shlex.join(command))}",
            f"directory={_ini(str(cwd))}",
            f"priority={priority * 10}",
            "autostart=false",  # run_platform starts them in order, each once the last answers
            "autorestart=true",
            "startsecs=2",
            "startretries=1000000",  # BACKOFF waits 1 s more on each failed start; never FATAL
            f"stopsignal={part.stop_signal}",
            f"stopwaitsecs={part.stop_wait_s}",
            f"stopasgroup={str(part.signal_group).lower()}",
            "killasgroup=true",
            "redirect_stderr=true",
            f"stdout_logfile={_ini(str(log / f'{part.name}.log'))}",
            "stdout_logfile_maxbytes=0",
        ]
    return "\n".join(lines) + "\n"


class _UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path: str) -> None:
        super().__init__("localhost", timeout=10)
        self.path = path

    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(10)
        self.sock.connect(self.path)


class _UnixTransport(xmlrpc.client.Transport):
    def __init__(self, path: str) -> None:
        super().__init__()
        self.path = path

    def make_connection(self, host: object) -> http.client.HTTPConnection:
        return _UnixHTTPConnection(self.path)


def rpc(var_dir: Path) -> xmlrpc.client.ServerProxy:
    """supervisord's XML-RPC interface for the platform in `var_dir`."""
    transport = _UnixTransport(str(socket_path(var_dir)))
    return xmlrpc.client.ServerProxy("http://localhost/RPC2", transport=transport)


class ProcessInfo(TypedDict):
    """The fields we read of supervisord's getProcessInfo (its XML-RPC API, documented)."""

    name: str
    statename: str
    pid: int  # 0 when down
    start: int  # epoch s


def processes(var_dir: Path) -> dict[str, ProcessInfo]:
    """part -> supervisord's view of it: pid (0 when down), statename, start (epoch s)."""
    infos = rpc(var_dir).supervisor.getAllProcessInfo()
    assert isinstance(infos, list)
    return {info["name"]: info for info in infos}


class Supervisor:
    def __init__(self, parts: list[Part], env: dict[str, str], var_dir: Path, cwd: Path) -> None:
        self.parts, self.env, self.var_dir, self.cwd = parts, env, var_dir, cwd
        self.process: subprocess.Popen[bytes] | None = None
        self.pids: dict[str, int] = {}  # the last pid of each part
        self.down: set[str] = set()
        (var_dir / "log").mkdir(parents=True, exist_ok=True)
        (var_dir / "run").mkdir(parents=True, exist_ok=True)
        for stale in (var_dir / "run").glob("*.ready"):  # left by a run that was killed
            stale.unlink()

    def start(self) -> None:
        config = self.var_dir / "run" / "supervisord.conf"
        config.write_text(supervisord_config(self.parts, self.var_dir, self.cwd))
        log = open(self.var_dir / "log" / "supervisord.out", "ab")  # noqa: SIM115 - the child's
        self.process = subprocess.Popen(
            [str(BIN / "supervisord"), "-c", str(config)],
            cwd=self.cwd,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        self._wait(lambda: self._answers(), 30, "supervisord to answer")
        server = rpc(self.var_dir)
        for wave in sorted({part.wave for part in self.parts}):
            starting = [part for part in self.parts if part.wave == wave]
            for part in starting:
                server.supervisor.startProcess(part.name, False)
            self.watch()
            for part in starting:
                if part.ready is not None:
                    self._wait_ready(part)

    def _answers(self) -> bool:
        try:
            processes(self.var_dir)
            return True
        except (OSError, xmlrpc.client.Error):
            return False

    def _wait(self, check: Callable[[], bool], timeout_s: float, what: str) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"supervisord exited: see {self.var_dir}/log/supervisord.log")
            if check():
                return
            time.sleep(0.1)
        raise RuntimeError(f"not within {timeout_s} s: {what}")

    def _wait_ready(self, part: Part) -> None:
        assert part.ready is not None
        ready = part.ready

        def check() -> bool:
            info = processes(self.var_dir)[part.name]
            if info["statename"] == "FATAL":  # BACKOFF: supervisord tries again, so do we
                raise RuntimeError(f"{part.name} cannot start: see var/log/{part.name}.log")
            return info["statename"] == "RUNNING" and ready(float(info["start"]))

        self._wait(check, part.ready_timeout_s, f"{part.name} to be ready")

    def watch(self) -> list[str]:
        """Record the parts' pids (var/run/pids.json); return a line for each restart seen."""
        try:
            infos = processes(self.var_dir)
        except (OSError, xmlrpc.client.Error):
            return []
        lines = []
        for name, info in infos.items():
            pid, before = int(info["pid"]), self.pids.get(name, 0)
            if pid and before and pid != before:
                lines.append(f"{name} restarted by supervisord (pid {before} -> {pid})")
            if not pid and before and name not in self.down:
                lines.append(f"{name} is down ({info['statename']}); supervisord restarts it")
            if pid:
                self.down.discard(name)
            else:
                self.down.add(name)
            self.pids[name] = pid or before
        live = {name: pid for name, pid in self.pids.items() if name not in self.down}
        if self.process is not None:
            live["supervisord"] = self.process.pid
        path = self.var_dir / "run" / "pids.json"
        path.with_suffix(".tmp").write_text(json.dumps(live))
        path.with_suffix(".tmp").replace(path)  # readers never see half a file
        return lines

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        """supervisord stops the parts in reverse start order, each waited on; then it exits."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=SHUTDOWN_S)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        if self.process.returncode == 0:
            return  # supervisord stopped every part itself
        for pid in self.pids.values():  # supervisord died: its parts are ours to end
            if pid:
                try:
                    os.killpg(pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
