"""Metrics whose sources are slow to ask (Kafka offsets, Celery's inspect) are read by a
background thread every few seconds; a scrape returns the last reading and never waits."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator

from prometheus_client.core import Metric
from prometheus_client.registry import Collector

log = logging.getLogger(__name__)


class RefreshedCollector(Collector):
    def __init__(self, read: Callable[[], list[Metric]], every_s: float = 10.0) -> None:
        self._read = read
        self._every_s = every_s
        self._metrics: list[Metric] = []
        self._started = False
        self._lock = threading.Lock()
        self._stop = threading.Event()

    def describe(self) -> list[Metric]:
        return []  # registering must not ask anything

    def collect(self) -> Iterator[Metric]:
        with self._lock:
            if not self._started:  # the first scrape starts the reader: no thread at import
                self._started = True
                threading.Thread(target=self._loop, name="metrics-refresh", daemon=True).start()
        yield from self._metrics

    def stop(self) -> None:
        """Stop the reader (tests; a process that serves metrics never needs to)."""
        self._stop.set()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self._metrics = self._read()
            except Exception as error:  # noqa: BLE001 - a part down must not stop the reader
                log.warning("metrics from %s unavailable: %s", self._read.__qualname__, error)
                self._metrics = []
            finally:
                # Don't hold this thread's database connections between readings.
                from django.db import connections

                connections.close_all()
            self._stop.wait(self._every_s)
