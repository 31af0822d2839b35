"""The pools' figures as Prometheus metrics (read in the background: inspect waits for replies)."""

from __future__ import annotations

import logging

from prometheus_client.core import GaugeMetricFamily, Metric

log = logging.getLogger(__name__)


def pool_metrics() -> list[Metric]:
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
