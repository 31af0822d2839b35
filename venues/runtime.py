"""Per-process parts of a venue worker: one Kafka producer and one adapter per venue.

A producer that hit a fatal error (e.g. UNKNOWN_PRODUCER_ID after a broker restart: an
idempotent producer cannot go on) is replaced by a new one; reports it held unacknowledged
are sent again by their senders (the stream resends from its cursor, reconciliation re-asks).
"""

from __future__ import annotations

import functools
import logging
import threading
from datetime import UTC, datetime

from django.conf import settings

from contracts import registry
from contracts.venue import EXECUTION_REPORT, ExecutionReportV1
from infra.bus import kafka
from infra.store import database
from infra.store.api import run
from trading.services.reference import set_venue_state
from venues.adapters.sim.adapter import SimAdapter
from venues.adapters.sim.client import VenueClient

log = logging.getLogger(__name__)

_lock = threading.Lock()
_producer: kafka.RecreatingProducer | None = None
# Reports time out in 10 s: a producer the broker no longer knows (it restarted without its
# log) times out every report, and RecreatingProducer replaces it on the first timeout.
REPORT_TIMEOUT_MS = 10_000


def report_producer() -> kafka.RecreatingProducer:
    """The process's producer (kafka.RecreatingProducer: replaced after a fatal error or a
    delivery that timed out)."""
    global _producer
    with _lock:
        if _producer is None:
            kafka.ensure_topics([EXECUTION_REPORT])
            _producer = kafka.RecreatingProducer(**{"message.timeout.ms": REPORT_TIMEOUT_MS})
        return _producer


def reset() -> None:
    """Forget this process's clients (a forked child must make its own)."""
    global _producer
    with _lock:
        _producer = None
    adapter.cache_clear()


def emit_report(report: ExecutionReportV1) -> None:
    """Produce one normalized report in its envelope, keyed by order id so one order's reports
    stay in order."""
    value = registry.encode(
        EXECUTION_REPORT,
        message_id=report.message_id,
        key=report.order_id,
        created_at=datetime.now(UTC),
        payload=report,
    )
    for _ in range(3):
        producer = report_producer()
        try:
            producer.produce(
                EXECUTION_REPORT,
                key=report.order_id.encode(),
                value=value,
                headers={"message_id": report.message_id.encode()},
            )
            return
        except BufferError:
            producer.poll(0.5)  # the local queue is full: let deliveries drain
    raise RuntimeError("could not queue the execution report for Kafka")


def flush_reports() -> None:
    """Wait for Kafka's acknowledgement of everything emitted; raise if it did not come (or a
    report failed: its sender sends it again)."""
    with _lock:
        producer = _producer
    if producer is None:
        return
    left = producer.flush(30)
    errors = producer.take_errors()
    if left or errors:
        raise RuntimeError(f"Kafka did not acknowledge the execution reports: {errors[:3]}")


def open_circuit(venue: str, reason: str) -> None:
    log.warning("%s circuit open: %s", venue, reason)
    run(database(), lambda tr: set_venue_state(tr, venue, circuit_open=True))


def client(venue: str) -> VenueClient:
    return VenueClient(settings.VENUE_SIMULATOR_URL, venue)


@functools.cache
def adapter(venue: str) -> SimAdapter:
    def emit_now(report: ExecutionReportV1) -> None:
        emit_report(report)
        flush_reports()

    return SimAdapter(client(venue), emit_now, functools.partial(open_circuit, venue))
