"""GET /api/v1/orders/{id} with 16 connections: the web tier `make run` serves against the
previous ones (uvicorn with every request through a2wsgi; daphne, Django's ASGI handler) and
the production web Deployment's (gunicorn, WSGI), on the same platform, same view, same order, interleaved so the machine's noise hits
all of them. Each server's CPU per request is read from its processes (psutil)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench.procs import cpu_seconds, loadgen, measured
from infra.bus.local_broker import free_port
from tests.support.platform import RunningPlatform, eventually
from tests.support.processes import stop
from wiring.web_server import web_argv

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parents[1]
CONNECTIONS = 16
SECONDS = 3.0


def _alternatives(port: int) -> dict[str, list[str]]:
    a2wsgi = web_argv("127.0.0.1", port)
    a2wsgi[a2wsgi.index("wiring.asgi:application")] = "wiring.asgi:a2wsgi_http"
    return {
        "uvicorn workers + a2wsgi (previous HTTP bridge)": a2wsgi,
        "daphne (previous: Django's ASGI handler)": [
            str(BIN / "daphne"),
            "-b",
            "127.0.0.1",
            "-p",
            str(port),
            "wiring.asgi:daphne_only",
        ],
        "gunicorn 2 workers x 4 threads (WSGI, the web Deployment)": [
            str(BIN / "gunicorn"),
            "wiring.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--threads",
            "4",
            "--worker-class",
            "gthread",
        ],
    }


@contextmanager
def _server(argv: list[str], port: int, env: dict[str, str], log: Path) -> Iterator[int]:
    import httpx

    with open(log, "wb") as out:
        process = subprocess.Popen(
            argv, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )

    def up() -> bool:
        try:
            return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code < 500
        except httpx.HTTPError:
            return False

    try:
        eventually(lambda: process.poll() is not None or up(), 60, 0.2, "a web server")
        yield process.pid
    finally:
        stop(process, group=True)


def _one(port: int, server_pid: int, token: str, order_id: str) -> dict[str, Any]:
    before = cpu_seconds(server_pid)
    with measured() as window:
        result, client_cpu = loadgen(
            "--port",
            str(port),
            "--path",
            f"/api/v1/orders/{order_id}",
            "--header",
            f"Authorization: Token {token}",
            "--connections",
            str(CONNECTIONS),
            "--seconds",
            str(SECONDS),
        )
    server_cpu = cpu_seconds(server_pid) - before
    ok = result["statuses"].get("200", 0)
    return {
        "rps": ok / result["elapsed_s"],
        "p99_ms": result["p99_ms"],
        "server_cpu_ms_per_request": server_cpu / ok * 1000 if ok else float("nan"),
        "client_cpu_s": client_cpu,
        "other": sum(v for k, v in result["statuses"].items() if k != "200") + result["errors"],
        "window": window.describe(),
    }


def snapshot_rps(platform: RunningPlatform, order_id: str) -> dict[str, dict[str, Any]]:
    """{server: figures}; the first entry is the tier `make run` serves."""
    results: dict[str, dict[str, Any]] = {}
    new = "uvicorn workers + wiring/wsgi_bridge.py (make run)"
    results[new] = _one(platform.web_port, platform.pids()["web"], platform.token, order_id)
    env = dict(platform.env)
    port = free_port()
    for name, argv in _alternatives(port).items():
        log = platform.var_dir / "log" / f"bench-{argv[0].rsplit('/', 1)[-1]}.log"
        with _server(argv, port, env, log) as pid:
            results[name] = _one(port, pid, platform.token, order_id)
    again = _one(platform.web_port, platform.pids()["web"], platform.token, order_id)
    # The tier under test is measured first and last (the mean stands): drift hits all alike.
    first = results[new]
    for key in ("rps", "p99_ms", "server_cpu_ms_per_request"):
        first[key] = (first[key] + again[key]) / 2
    first["window"] += f"; again: {again['window']}"
    return results
