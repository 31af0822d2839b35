"""Trading metrics on /metrics, read at scrape time from where the truth is; only with
`Authorization: Bearer <METRICS_TOKEN>` (the figures tell how the business goes).

Orders by state and fills come from counters kept in the store; publisher lag from the
outbox past the publisher's cursor; ingest lag and dead-letter size from Kafka's offsets.
A part that does not answer leaves its metrics out rather than failing the scrape.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime

from django.http import HttpRequest, HttpResponse, JsonResponse
from django_prometheus import exports
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from infra.ops_access import has_metrics_token
from infra.store import database
from infra.store.api import Transaction, run
from trading import outbox
from trading.repository import Repository

log = logging.getLogger(__name__)
BACKLOG_SCAN_LIMIT = 10_000


def _store_metrics() -> Iterator[Metric]:
    def read(tr: Transaction) -> tuple[dict[tuple[str, str], int], int, datetime | None]:
        counters = Repository(tr).counters()
        rows = outbox.read_after(tr, outbox.cursor(tr, "outbox"), BACKLOG_SCAN_LIMIT)
        return counters, len(rows), rows[0][1].created_at if rows else None

    counters, backlog, oldest = run(database(), read)
    orders = GaugeMetricFamily("trading_orders", "Orders by state", labels=["state"])
    fills = CounterMetricFamily("trading_fills", "Fills applied, by venue", labels=["venue"])
    refusals = CounterMetricFamily(
        "risk_refusals", "Orders refused by a pre-trade risk limit, by limit", labels=["limit"]
    )
    for (name, label), value in sorted(counters.items()):
        if name == "orders":
            orders.add_metric([label], value)
        elif name == "fills":
            fills.add_metric([label], value)
        elif name == "risk_refusals":
            refusals.add_metric([label], value)
    yield orders
    yield fills
    yield refusals
    yield GaugeMetricFamily(
        "trading_outbox_backlog", "Outbox messages not yet published", value=backlog
    )
    lag = (datetime.now(UTC) - oldest).total_seconds() if oldest else 0.0
    yield GaugeMetricFamily(
        "trading_publisher_lag_seconds", "Age of the oldest unpublished outbox message", value=lag
    )


def _kafka_metrics() -> Iterator[Metric]:
    from confluent_kafka import TopicPartition

    from infra.bus import kafka

    probe = kafka.consumer("trading-ingest")  # reads the group's offsets; never joins it
    try:
        topic = outbox.EXECUTION_REPORTS
        partitions = [TopicPartition(topic, p) for p in range(kafka.PARTITIONS)]
        lag = 0
        for committed in probe.committed(partitions, timeout=2):
            low, high = probe.get_watermark_offsets(committed, timeout=2)
            lag += high - (committed.offset if committed.offset >= 0 else low)
        yield GaugeMetricFamily(
            "trading_ingest_lag_messages", "Reports not yet applied by ingest", value=lag
        )
        size = 0
        for p in range(kafka.PARTITIONS):
            low, high = probe.get_watermark_offsets(
                TopicPartition(outbox.EXECUTION_REPORTS_DLQ, p), timeout=2
            )
            size += high - low
        yield GaugeMetricFamily(
            "trading_dlq_messages", "Execution reports dead-lettered", value=size
        )
    finally:
        probe.close()


class TradingCollector(Collector):
    """The store's figures, read at scrape time (one small read transaction)."""

    def describe(self) -> list[Metric]:
        return []  # registering must not read the store

    def collect(self) -> Iterator[Metric]:
        try:
            yield from _store_metrics()
            yield _restart_metric()
        except Exception as error:  # noqa: BLE001 - a part down must not fail the scrape
            log.warning("store metrics unavailable: %s", error)


def _restart_metric() -> Metric:
    from wiring.launch import restarts

    metric = CounterMetricFamily(
        "platform_part_restarts", "Restarts of each part by the process manager", labels=["part"]
    )
    for part, count in sorted(restarts().items()):
        metric.add_metric([part], count)
    return metric


def kafka_metrics() -> list[Metric]:
    return list(_kafka_metrics())


def metrics_view(request: HttpRequest) -> HttpResponse:
    """django-prometheus's exposition, behind the metrics bearer token (401 without it)."""
    if not has_metrics_token(request):
        refused = JsonResponse({"detail": "Bearer token required (METRICS_TOKEN)."}, status=401)
        refused["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return refused
    exposition: HttpResponse = exports.ExportToDjangoView(request)  # django_prometheus: untyped
    return exposition
