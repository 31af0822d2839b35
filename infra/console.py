"""What `make run` shows on its terminal: one progress line per step, then the banner.

Everything else the run_platform process logs (libraries' INFO lines, warnings) goes to
var/log/run_platform.log; each part logs to its own file under var/log/ already. The
supervisor is left as it is: each part is announced when the supervisor first asks whether it
is ready, which is right after it was started.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Protocol, TextIO, TypeVar

# How a part is named on the console (anything else: its own name).


class _Announced(Protocol):
    """A part of the platform as the supervisor starts it (wiring.parts.Part)."""

    name: str
    ready: Callable[..., bool] | None


P = TypeVar("P", bound=_Announced)

TITLES = {
    "kafka": "kafka (local broker)",
    "simulator": "the venue simulator",
    "web": "web + websockets",
    "publisher": "the outbox publisher",
    "ingest": "ingest",
    "projector": "the back-office projector",
}


def quiet(var_dir: Path) -> Path:
    """Send this process's log records and warnings to var/log/run_platform.log, not the console."""
    path = var_dir / "log" / "run_platform.log"
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    logging.captureWarnings(True)
    return path


def step(text: str, out: TextIO | None = None) -> None:
    """One progress line, shown at once ("migrating...")."""
    stream = out or sys.stdout
    stream.write(f"{text}...\n")
    stream.flush()


def title(name: str) -> str:
    if name.startswith("venue-"):
        return f"the {name.removeprefix('venue-')} venue pool"
    return TITLES.get(name, name)


def announce(parts: list[P], out: TextIO | None = None) -> list[P]:
    """Print "starting <part>..." as each part starts, by wrapping the parts' ready checks.

    A part without a ready check is announced with the next part that has one.
    """
    pending: list[str] = []
    for part in parts:
        pending.append(part.name)
        if part.ready is None:
            continue
        part.ready = _announcing(part.ready, list(pending), out)
        pending.clear()
    return parts


def _announcing(
    ready: Callable[..., bool], names: list[str], out: TextIO | None
) -> Callable[..., bool]:
    said = False

    def check(*args: object) -> bool:  # any signature the supervisor calls ready with
        nonlocal said
        if not said:
            said = True
            step("starting " + ", ".join(title(name) for name in names), out)
        return ready(*args)

    return check


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def banner(
    url: str,
    token: str,
    metrics_token: str,
    accounts: Iterable[tuple[str, str, str]],
    simulator_url: str,
    var_dir: Path,
    took_s: float,
    processes: str = "",
) -> str:
    """The lines `make run` prints once every part answers."""
    accounts = list(accounts)
    width = max((len(role) for role, _, _ in accounts), default=0)
    lines = [
        f"ready in {took_s:.1f} s: {url}",
        "  sign in at /login as (role: user / password):",
        *[
            f"    {role + ':':<{width + 1}} {name} / {password}"
            for role, name, password in accounts
        ],
        f"  API token of the demo trader (also in var/demo-token): {token}",
        f"  /metrics bearer token (also in var/metrics-token): {metrics_token}",
        f"  API docs: {url}api/docs/",
        f"  venue simulator control: {simulator_url}/control/",
        f"  logs: {_shown(var_dir)}/log/ (one file per process)",
        *([f"  processes (one that dies is restarted): {processes}"] if processes else []),
        "In a second terminal: `make demo` places the seed's order and follows it;",
        '  README.md "First steps" has the daily commands (make invariants, make trader ...).',
        "This terminal serves until Ctrl-C, which stops every process.",
    ]
    return "\n".join(lines)
