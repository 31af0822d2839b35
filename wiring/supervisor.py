"""Every process of the platform under supervisord, as `make run` starts them.

The parts are wiring/parts.py's `platform_parts` (argv, readiness, start/stop order, stop
signal and wait). `Supervisor` writes supervisord's config under var/run/, runs supervisord
as its child, starts the parts in order through its XML-RPC interface, each waited on until
it answers, and lets supervisord restart any part that dies (with backoff, a log line in
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
import tempfile
import time
import xmlrpc.client
from collections.abc import Callable
from pathlib import Path
from typing import TypedDict

from wiring.parts import BIN, PYTHON, Part

SHUTDOWN_S = 120.0  # supervisord's own stop waits are per part; this bounds the whole stop


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
        command = [PYTHON, "-m", "wiring.launch", part.name, "--", *part.argv]
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
