"""Child processes of tests and benches: stop one (politely, then for sure), see a port listen."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from wiring.parts import port_open

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
    return port_open(port)(0.0)  # the supervisor's own check; it ignores the start time


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
