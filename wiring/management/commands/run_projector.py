"""python manage.py run_projector: the back-office projector (`run_consumer projector`), and
the mirror of reference data and quarantines beside it in a thread (backoffice/mirror.py)."""

import threading

from django.core.management.base import CommandParser
from prometheus_client import start_http_server

from backoffice.mirror import mirror_forever
from wiring.management.commands.run_consumer import Command as RunConsumer


class Command(RunConsumer):
    help = "Project trading-core's events from Kafka into the back office's read models."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--metrics-port",
            type=int,
            default=0,
            help="serve this process's metrics (backoffice_projector_lag_seconds) on this port",
        )

    def handle(self, *args: object, **options: object) -> None:
        port = options.get("metrics_port")
        if isinstance(port, int) and port:
            start_http_server(port, addr="127.0.0.1")
        # A daemon: it ends with the process, and a round cut short is done again at start.
        threading.Thread(
            target=mirror_forever, args=(threading.Event(),), name="mirror", daemon=True
        ).start()
        super().handle(*args, name="projector")
