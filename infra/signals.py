"""SIGTERM and SIGINT for a long-running command: the first drains, a second stops at once."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable


def drain_on_signal(stop: threading.Event, drain: Callable[[], None]) -> None:
    """On the first signal run `drain` in a thread (it sets `stop` when done); a second sets
    `stop` now. Installed from the main thread, as Python's signal handlers must be."""
    draining: list[threading.Thread] = []

    def on_signal(*_: object) -> None:
        if draining:  # the second signal: stop now
            stop.set()
            return
        draining.append(threading.Thread(target=drain, daemon=True))
        draining[0].start()

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, on_signal)
