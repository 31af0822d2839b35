"""python manage.py run_ingest: the execution-report consumer (same as `run_consumer ingest`)."""

from django.core.management.base import CommandParser

from wiring.management.commands.run_consumer import Command as RunConsumer


class Command(RunConsumer):
    help = "Apply venue execution reports from Kafka to the store."

    def add_arguments(self, parser: CommandParser) -> None:
        pass

    def handle(self, *args: object, **options: object) -> None:
        super().handle(*args, name="ingest")
