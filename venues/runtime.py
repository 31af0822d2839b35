"""Per-process parts of a venue worker: one Kafka producer and one adapter per venue.

A producer that hit a fatal error (e.g. UNKNOWN_PRODUCER_ID after a broker restart: an
idempotent producer cannot go on) is replaced by a new one; reports it held unacknowledged
are sent again by their senders (the stream resends from its cursor, reconciliation re-asks).
"""

from __future__ import annotations

import functools
import logging
import threading
from typing import Any

import msgspec
from confluent_kafka import KafkaError, KafkaException
from django.conf import settings

from infra.bus import kafka
from infra.store import database
from infra.store.api import run
from trading.outbox import EXECUTION_REPORTS
from trading.services.reference import set_venue_state
from venues.adapters.sim.adapter import SimAdapter
from venues.adapters.sim.client import VenueClient

log = logging.getLogger(__name__)

_lock = threading.Lock()
_producer: Any = None
_fatal = threading.Event()


def _on_error(error: KafkaError) -> None:
    if error.fatal():
        log.error("Kafka producer fatal error, it will be replaced: %s", error)
        _fatal.set()
    else:
        log.info("Kafka producer: %s", error)


def report_producer() -> Any:
    """The process's producer; a new one after a fatal error."""
    global _producer
    with _lock:
        if _producer is None or _fatal.is_set():
            _fatal.clear()
            kafka.ensure_topics([EXECUTION_REPORTS])
            _producer = kafka.producer(error_cb=_on_error)
        return _producer


def reset() -> None:
    """Forget this process's clients (a forked child must make its own)."""
    global _producer
    with _lock:
        _producer = None
    adapter.cache_clear()


def _is_fatal(error: KafkaException) -> bool:
    # A send refused once the producer is in its fatal state carries the code _FATAL without
    # the fatal flag: that producer is as dead, and must be replaced too.
    first = error.args[0] if error.args else None
    return isinstance(first, KafkaError) and (first.fatal() or first.code() == KafkaError._FATAL)


def emit_report(report: dict[str, Any]) -> None:
    """Produce one normalized report, keyed by order id so one order's reports stay in order."""
    value = msgspec.json.encode(report)
    for _ in range(3):
        producer = report_producer()
        try:
            producer.produce(
                EXECUTION_REPORTS,
                key=report["order_id"].encode(),
                value=value,
                headers={"message_id": report["message_id"].encode()},
            )
            return
        except BufferError:
            producer.poll(0.5)  # the local queue is full: let deliveries drain
        except KafkaException as error:
            if _is_fatal(error):
                _fatal.set()  # the next call makes a new producer; the caller sends again
            raise
    raise RuntimeError("could not queue the execution report for Kafka")


def flush_reports() -> None:
    """Wait for Kafka's acknowledgement of everything emitted; raise if it did not come."""
    with _lock:
        producer = _producer
    if producer is None:
        return
    try:
        left = producer.flush(30)
    except KafkaException as error:  # a fatal error can surface here first
        if _is_fatal(error):
            _fatal.set()
        raise
    if left:
        raise RuntimeError("Kafka did not acknowledge the execution reports")
    if _fatal.is_set():  # what it held may be lost: the caller sends it again
        raise RuntimeError("the Kafka producer hit a fatal error")


def open_circuit(venue: str, reason: str) -> None:
    log.warning("%s circuit open: %s", venue, reason)
    run(database(), lambda tr: set_venue_state(tr, venue, circuit_open=True))


def client(venue: str) -> VenueClient:
    return VenueClient(settings.VENUE_SIMULATOR_URL, venue)


@functools.cache
def adapter(venue: str) -> SimAdapter:
    def emit_now(report: dict[str, Any]) -> None:
        emit_report(report)
        flush_reports()

    return SimAdapter(client(venue), emit_now, functools.partial(open_circuit, venue))
