"""The command that serves wiring.asgi: uvicorn worker processes on one address.

Used by `make run` (wiring/supervisor.py) and by the tests that run the ws-gateway for real, so
both run the same server. Workers share the listening socket; each runs its own fanout.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

BIN = Path(sys.executable).parent


def web_workers() -> int:
    """WEB_WORKERS, else one per core (at least 2: a worker busy in Python never stalls all)."""
    return int(os.environ.get("WEB_WORKERS") or max(2, os.cpu_count() or 1))


def web_argv(host: str, port: int, workers: int | None = None) -> list[str]:
    """uvicorn with httptools and websockets' sans-I/O protocol (its send waits on the socket)."""
    return [
        str(BIN / "uvicorn"),
        "wiring.asgi:application",
        "--host",
        host,
        "--port",
        str(port),
        "--workers",
        str(workers or web_workers()),
        "--http",
        "httptools",
        "--ws",
        "websockets-sansio",
        # Deltas are small and each client's are alike: deflate would cost CPU per client per
        # delta and hide a slow client behind compressed bytes for longer.
        "--ws-per-message-deflate",
        "false",
        "--lifespan",
        "off",
        "--no-access-log",
        "--timeout-graceful-shutdown",
        "5",
        # uvicorn kills a worker that has not answered its ping within this bound, and a
        # spawned worker answers only once Python and uvicorn are imported: on a loaded
        # machine that took over 5 s (the default), so every worker was killed as it started.
        "--timeout-worker-healthcheck",
        "60",
    ]
