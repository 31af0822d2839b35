"""The pools' figures as Prometheus metrics (read in the background: inspect waits for replies)."""

from __future__ import annotations

import logging

from prometheus_client.core import GaugeMetricFamily, Metric

log = logging.getLogger(__name__)


def pool_metrics() -> list[Metric]:
    from backoffice.ops import slo
    from backoffice.ops.flows import flows
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
        "bound": GaugeMetricFamily(
            "ops_queue_oldest_age_slo_seconds",
            "The SLO's bound on the oldest waiting message's age",
            labels=["queue"],
        ),
        "breached": GaugeMetricFamily(
            "ops_queue_slo_breached",
            "1 while the queue's SLO is breached (oldest message too old, or lag too high)",
            labels=["queue"],
        ),
    }
    for flow in flows():
        objective = (
            slo.age_objective(flow.name, flow.oldest_age_s)
            if flow.kind == "outbox"
            else slo.lag_objective(flow.name, flow.depth)
        )
        if flow.oldest_age_s is not None or flow.kind == "outbox":
            families["age"].add_metric([flow.name], flow.oldest_age_s or 0.0)
        if flow.depth is not None:
            families["depth"].add_metric([flow.name], flow.depth)
        if objective is not None:
            families["breached"].add_metric([flow.name], int(objective.breached))
            if flow.kind == "outbox":
                families["bound"].add_metric([flow.name], objective.bound)
    for pool in pools():
        objective = slo.age_objective(pool.queue, pool.oldest_age_s)
        if objective is not None:
            families["bound"].add_metric([pool.queue], objective.bound)
            families["breached"].add_metric([pool.queue], int(objective.breached))
        families["workers"].add_metric([pool.queue], len(pool.workers))
        families["concurrency"].add_metric([pool.queue], pool.concurrency)
        if pool.depth is not None:
            families["depth"].add_metric([pool.queue], pool.depth)
        families["age"].add_metric([pool.queue], pool.oldest_age_s or 0.0)
    return list(families.values())
