"""Child processes of tests and benches: stop one (politely, then for sure), see a port listen."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def stop(process: subprocess.Popen[bytes], wait_s: float = 10, *, group: bool = False) -> None:
    """SIGTERM, then SIGKILL if it is still there after `wait_s`; `group`: its whole session."""

    def send(sig: signal.Signals) -> None:
        if group:
            os.killpg(process.pid, sig)
        else:
            process.send_signal(sig)

    send(signal.SIGTERM)
    try:
        process.wait(wait_s)
    except subprocess.TimeoutExpired:
        send(signal.SIGKILL)
        process.wait(wait_s)


def listening(port: int) -> bool:
    """Something accepts connections on 127.0.0.1:`port` now."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


def manage(
    *args: str, env: Mapping[str, str], check: bool = False
) -> subprocess.CompletedProcess[str]:
    """`python manage.py *args` in the repository with exactly `env`; its output as text."""
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=120,
        check=check,
    )
