"""Per-process parts of a venue worker: one Kafka producer and one adapter per venue (a FIX
venue's adapter holds its session).

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
from venues.adapters.core import installed
from venues.adapters.fix.adapter import FixAdapter
from venues.adapters.fix.wiring import make_fix_adapter, parse_address
from venues.adapters.sim.adapter import SimAdapter
from venues.adapters.sim.client import Answer, VenueClient, VenueUnavailable

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
            _producer = kafka.RecreatingProducer(config={"message.timeout.ms": REPORT_TIMEOUT_MS})
        return _producer


def reset() -> None:
    """Forget this process's clients (a forked child must make its own)."""
    global _producer
    with _lock:
        _producer = None
    sim_adapter.cache_clear()
    fix_adapter.cache_clear()


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
    run(database(), lambda tr: installed().open_circuit(tr, venue))


class SessionElsewhere:
    """A FIX venue outside its pool: only the pool holds the session (one per SenderCompID),
    so `reconcile_venues` and the drift report get "unavailable" here, never a guess."""

    def __init__(self, venue: str) -> None:
        self.venue = venue

    def query(self, client_order_id: str) -> Answer:
        raise VenueUnavailable(f"{self.venue} is asked over its FIX session, from its pool only")

    def close(self) -> None:
        pass


def client(venue: str) -> VenueClient | SessionElsewhere:
    """What to ask about an order at `venue` from any process (reconciliation, reports)."""
    if is_fix(venue):
        return SessionElsewhere(venue)
    return VenueClient(settings.VENUE_SIMULATOR_URL, venue)


def is_fix(venue: str) -> bool:
    """SIM-F speaks FIX 4.4 (venues/adapters/fix/); the others the simulator's HTTP API."""
    return venue in settings.FIX_VENUES


@functools.cache
def fix_adapter(venue: str) -> FixAdapter:
    """The process's one session with a FIX venue: its pool runs `--pool threads`, so the
    tasks and the session (run by the worker's bootstep) share it."""
    return make_fix_adapter(
        database(),
        venue,
        parse_address(settings.VENUE_FIX_ADDRESS),
        settings.FIX_SENDER_COMP_ID,
        emit_report,
        flush_reports,
        functools.partial(open_circuit, venue),
    )


def adapter(venue: str) -> SimAdapter | FixAdapter:
    """The adapter of `venue` in this process."""
    return fix_adapter(venue) if is_fix(venue) else sim_adapter(venue)


@functools.cache
def sim_adapter(venue: str) -> SimAdapter:
    def emit_now(report: ExecutionReportV1) -> None:
        emit_report(report)
        flush_reports()

    return SimAdapter(
        VenueClient(settings.VENUE_SIMULATOR_URL, venue),
        emit_now,
        functools.partial(open_circuit, venue),
    )
