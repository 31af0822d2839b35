"""python manage.py run_consumer NAME: run one registered Kafka consumer until SIGTERM/SIGINT."""

import signal
import threading

from django.core.management.base import BaseCommand, CommandError, CommandParser

from infra.bus.consume import consume
from infra.consumers import CONSUMERS


class Command(BaseCommand):
    help = "Run one of the platform's Kafka consumers (see infra/consumers.py)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", choices=sorted(CONSUMERS))

    def handle(self, *args: object, **options: object) -> None:
        factory = CONSUMERS.get(str(options["name"]))
        if factory is None:
            raise CommandError(f"no consumer {options['name']}")
        stop = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
        consume(factory(), stop)
