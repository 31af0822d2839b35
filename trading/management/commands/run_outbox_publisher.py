"""python manage.py run_outbox_publisher: outbox -> Kafka and the venue queues, until SIGTERM."""

import signal
import threading

from django.core.management.base import BaseCommand

from infra.bus import kafka
from infra.bus.sinks import CeleryCommandSink, KafkaEventSink
from infra.celery import app
from infra.store import database
from trading import outbox
from trading.publisher import Publisher


class Command(BaseCommand):
    help = "Publish the outbox in commit order (one active publisher at a time, by lease)."

    def handle(self, *args: object, **options: object) -> None:
        kafka.ensure_topics([outbox.ORDER_EVENTS, outbox.FILL_EVENTS, outbox.LEDGER_EVENTS])
        events = KafkaEventSink(kafka.RecreatingProducer())
        publisher = Publisher(
            database(),
            send_events=events,
            send_commands=CeleryCommandSink(app),
            check_log=events.lost_log,
        )
        stop = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
        publisher.run(stop)
