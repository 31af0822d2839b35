"""python manage.py run_outbox_publisher: outbox -> Kafka and the venue queues, until SIGTERM.

SIGTERM drains: it stops once the outbox holds nothing unpublished (bounded by DRAIN_S), so
what ingest applied during the stop reaches Kafka before the consumers after it stop. A
second signal stops at once; either way the outbox is in the store and nothing is lost.
"""

import threading
import time

from django.core.management.base import BaseCommand

from infra.bus import kafka
from infra.signals import drain_on_signal
from infra.store import database
from infra.store.api import run
from trading import outbox
from trading.publisher import Publisher
from trading.sinks import CeleryCommandSink, KafkaEventSink
from wiring.celery import app

DRAIN_S = 5.0


def backlog() -> int:
    """Outbox messages past the publisher's cursor (at most one is read)."""
    return run(database(), lambda tr: len(outbox.read_after(tr, outbox.cursor(tr, "outbox"), 1)))


def drain_then_stop(stop: threading.Event, bound_s: float = DRAIN_S) -> None:
    deadline = time.monotonic() + bound_s
    while not stop.is_set() and time.monotonic() < deadline and backlog():
        time.sleep(0.1)
    stop.set()


EVENT_TIMEOUT_MS = 10_000


class Command(BaseCommand):
    help = "Publish the outbox in commit order (one active publisher at a time, by lease)."
    # Checked once per start of the platform (run_platform; the migrate job in deploy/): the
    # checks import every view through the URLconf, 0.5 CPU-s at each start of each part.
    requires_system_checks: list[str] = []

    def handle(self, *args: object, **options: object) -> None:
        kafka.ensure_topics([outbox.ORDER_EVENTS, outbox.FILL_EVENTS, outbox.LEDGER_EVENTS])
        # A short delivery timeout: a producer the broker no longer knows is replaced quickly
        # (the commands of the next batch wait for the events of this one).
        events = KafkaEventSink(
            kafka.RecreatingProducer(config={"message.timeout.ms": EVENT_TIMEOUT_MS})
        )
        publisher = Publisher(
            database(),
            send_events=events,
            send_commands=CeleryCommandSink(app),
            check_log=events.lost_log,
        )
        stop = threading.Event()
        drain_on_signal(stop, lambda: drain_then_stop(stop))
        try:
            publisher.run(stop)
        finally:
            events.close()
