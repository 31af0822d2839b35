"""The pools' figures as Prometheus metrics (cached briefly: inspecting waits for replies)."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

log = logging.getLogger(__name__)
CACHE_S = 10.0


class PoolCollector(Collector):
    def __init__(self) -> None:
        self._cached: tuple[float, list[Metric]] = (0.0, [])

    def describe(self) -> list[Metric]:
        return []

    def collect(self) -> Iterator[Metric]:
        at, metrics = self._cached
        if time.monotonic() - at > CACHE_S:
            try:
                metrics = self._read()
            except Exception as error:  # noqa: BLE001 - never fail the scrape
                log.warning("pool metrics unavailable: %s", error)
            self._cached = (time.monotonic(), metrics)
        yield from metrics

    def _read(self) -> list[Metric]:
        from backoffice.ops.selectors import pools

        families = {
            "workers": GaugeMetricFamily(
                "celery_pool_workers", "Workers consuming the queue", labels=["queue"]
            ),
            "concurrency": GaugeMetricFamily(
                "celery_pool_concurrency", "Worker slots on the queue", labels=["queue"]
            ),
            "depth": GaugeMetricFamily(
                "celery_queue_depth", "Messages waiting in the queue", labels=["queue"]
            ),
            "age": GaugeMetricFamily(
                "celery_queue_oldest_age_seconds",
                "Age of the oldest waiting message",
                labels=["queue"],
            ),
        }
        for pool in pools():
            families["workers"].add_metric([pool.queue], len(pool.workers))
            families["concurrency"].add_metric([pool.queue], pool.concurrency)
            if pool.depth is not None:
                families["depth"].add_metric([pool.queue], pool.depth)
            families["age"].add_metric([pool.queue], pool.oldest_age_s or 0.0)
        return list(families.values())
