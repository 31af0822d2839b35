"""python manage.py run_consumer NAME: run one registered Kafka consumer until SIGTERM/SIGINT.

SIGTERM drains: the consumer goes on until its group has committed everything Kafka holds for
it (bounded by DRAIN_S), so reports already sent reach the store before the platform stops.
A second signal stops at once.
"""

from __future__ import annotations

import logging
import threading
import time

from django.core.management.base import BaseCommand, CommandError, CommandParser

from infra.bus.consume import ConsumerSpec, consume
from infra.signals import drain_on_signal
from wiring.consumers import CONSUMERS

log = logging.getLogger(__name__)
DRAIN_S = 10.0


def lag(spec: ConsumerSpec) -> int:
    """Messages on the consumer's topics past its group's committed offsets."""
    from confluent_kafka import TopicPartition

    from infra.bus import kafka

    probe = kafka.consumer(spec.group_id)  # reads the group's offsets; never joins it
    try:
        topics = probe.list_topics(timeout=2).topics
        partitions = [
            TopicPartition(name, p) for name in spec.topics for p in topics[name].partitions
        ]
        total = 0
        for committed in probe.committed(partitions, timeout=2):
            low, high = probe.get_watermark_offsets(committed, timeout=2)
            total += high - (committed.offset if committed.offset >= 0 else low)
        return total
    finally:
        probe.close()


def drain_then_stop(spec: ConsumerSpec, stop: threading.Event, bound_s: float = DRAIN_S) -> None:
    """Set `stop` once the group has caught up with its topics, or after `bound_s`."""
    deadline = time.monotonic() + bound_s
    while not stop.is_set() and time.monotonic() < deadline:
        try:
            left = lag(spec)
        except Exception as error:  # noqa: BLE001 - Kafka away: nothing more to drain
            log.warning("%s: cannot read its lag (%s); stopping", spec.name, error)
            break
        if left <= 0:
            log.info("%s: drained; stopping", spec.name)
            break
        time.sleep(0.2)
    else:
        if not stop.is_set():
            log.warning("%s: not drained within %.0f s; stopping", spec.name, bound_s)
    stop.set()


class Command(BaseCommand):
    help = "Run one of the platform's Kafka consumers (see wiring/consumers.py)."
    # Checked once per start of the platform (run_platform; the migrate job in deploy/): the
    # checks import every view through the URLconf, 0.5 CPU-s at each start of each part.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", choices=sorted(CONSUMERS))

    def handle(self, *args: object, **options: object) -> None:
        factory = CONSUMERS.get(str(options["name"]))
        if factory is None:
            raise CommandError(f"no consumer {options['name']}")
        spec = factory()
        stop = threading.Event()
        drain_on_signal(stop, lambda: drain_then_stop(spec, stop))
        consume(spec, stop)
