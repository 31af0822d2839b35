"""Per-process parts of a venue worker: one Kafka producer and one adapter per venue."""

from __future__ import annotations

import functools
import logging
from typing import Any

import msgspec
from django.conf import settings

from infra.bus import kafka
from infra.store import database
from infra.store.api import run
from trading.outbox import EXECUTION_REPORTS
from trading.services.reference import set_venue_state
from venues.adapters.sim.adapter import SimAdapter
from venues.adapters.sim.client import VenueClient

log = logging.getLogger(__name__)


@functools.cache
def report_producer() -> Any:
    kafka.ensure_topics([EXECUTION_REPORTS])
    return kafka.producer()


def emit_report(report: dict[str, Any]) -> None:
    """Produce one normalized report, keyed by order id so one order's reports stay in order."""
    report_producer().produce(
        EXECUTION_REPORTS,
        key=report["order_id"].encode(),
        value=msgspec.json.encode(report),
        headers={"message_id": report["message_id"].encode()},
    )


def flush_reports() -> None:
    if report_producer().flush(30):
        raise RuntimeError("Kafka did not acknowledge the execution reports")


def open_circuit(venue: str, reason: str) -> None:
    log.warning("%s circuit open: %s", venue, reason)
    run(database(), lambda tr: set_venue_state(tr, venue, circuit_open=True))


@functools.cache
def adapter(venue: str) -> SimAdapter:
    client = VenueClient(settings.VENUE_SIMULATOR_URL, venue)

    def emit_now(report: dict[str, Any]) -> None:
        emit_report(report)
        flush_reports()

    return SimAdapter(client, emit_now, functools.partial(open_circuit, venue))
