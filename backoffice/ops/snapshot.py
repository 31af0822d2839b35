"""The ops page's figures, read by a background thread every few seconds.

Celery's inspect waits out its timeout for replies (about a second per question), and Kafka
offsets take a round trip per partition: a page that asked them itself would take seconds.
The thread keeps the last reading; the page and its refreshes show it at once, with its age.
After an action the view reads again at once, so the page shows the state it caused.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from backoffice.ops import history

log = logging.getLogger(__name__)
EVERY_S = 2.0
IDLE_S = 60.0  # nobody looked for this long: the reader rests until the page is opened again


@dataclass
class Reading:
    pools: list[Any] = field(default_factory=list)
    flows: list[Any] = field(default_factory=list)
    taken_at: float = 0.0  # epoch seconds
    error: str = ""

    @property
    def age_s(self) -> float:
        return max(0.0, time.time() - self.taken_at)


def read() -> Reading:
    """Everything the page shows, read now (seconds: see the module's docstring)."""
    from backoffice.ops.flows import flows
    from backoffice.ops.selectors import pools

    try:
        return Reading(pools(), flows(), time.time())
    except Exception as error:  # noqa: BLE001 - Redis or the workers away: say so, go on
        log.warning("ops reading failed: %s", error)
        return Reading([], [], time.time(), f"the pools cannot be read now: {error}")


class Snapshot:
    def __init__(self, every_s: float = EVERY_S) -> None:
        self.every_s = every_s
        self._reading: Reading | None = None
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._wake = threading.Event()
        self._asked = time.monotonic()
        self._history: history.Keeper | None = None

    @property
    def history(self) -> history.Keeper:
        """Shared by every web worker (Redis); made on first use, after the settings load."""
        if self._history is None:
            self._history = history.shared()
        return self._history

    def _keep(self, reading: Reading) -> Reading:
        for pool in reading.pools:
            self.history.add(pool.queue, pool.depth, pool.oldest_age_s, reading.taken_at)
        for flow in reading.flows:
            self.history.add(flow.name, flow.depth, flow.oldest_age_s, reading.taken_at)
        self._reading = reading
        return reading

    def latest(self) -> Reading | None:
        """The last reading (None before the first); starts the reader on first use."""
        self._asked = time.monotonic()
        self._wake.set()  # a resting reader reads again at once
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name="ops-reader", daemon=True)
                self._thread.start()
        reading = self._reading
        if reading is not None and reading.age_s > IDLE_S:
            return None  # from before the reader rested: not shown as if it were now
        return reading

    def refresh(self) -> Reading:
        """Read now, in the caller's thread, and keep it."""
        return self._keep(read())

    def _loop(self) -> None:
        from django.db import connections

        while True:
            self._keep(read())
            connections.close_all()  # the reader thread holds no connection between readings
            self._wake.clear()
            if time.monotonic() - self._asked > IDLE_S:
                self._wake.wait()  # no one is looking: no inspect broadcasts, no Kafka probes
            else:
                time.sleep(self.every_s)


snapshot = Snapshot()
