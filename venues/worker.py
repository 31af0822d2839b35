"""A Celery worker bootstep: the worker of queue venue.<VENUE> also follows that venue's stream.

So a venue pool is the whole adapter: commands in through its queue, reports and books out
through its stream. Several workers of one pool each follow the stream; ingest drops the
duplicates, and the quotes keep the newest version.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from celery import bootsteps
from celery.signals import worker_process_init
from django.conf import settings

from infra.store import database, use_database
from venues import runtime
from venues.adapters.sim.stream import VenueStream

log = logging.getLogger(__name__)


class VenueStreams(bootsteps.StartStopStep):
    requires = {"celery.worker.components:Pool"}

    def __init__(self, worker: Any, **kwargs: Any) -> None:
        self.stop_event = threading.Event()
        self.threads: list[threading.Thread] = []

    def start(self, worker: Any) -> None:
        queues = worker.app.amqp.queues.consume_from or {}
        venues = [name.removeprefix("venue.") for name in queues if name.startswith("venue.")]
        ws_url = settings.VENUE_SIMULATOR_URL.replace("http", "ws", 1)
        for venue in venues:
            stream = VenueStream(
                database(), ws_url, venue, runtime.emit_report, runtime.flush_reports
            )
            thread = threading.Thread(
                target=stream.run, args=(self.stop_event,), name=f"stream-{venue}", daemon=True
            )
            thread.start()
            self.threads.append(thread)
            log.info("following the %s stream", venue)

    def stop(self, worker: Any) -> None:
        self.stop_event.set()
        for thread in self.threads:
            thread.join(timeout=5)


@worker_process_init.connect
def forget_the_parents_clients(**kwargs: Any) -> None:
    """A forked pool process must not share the parent's store connections or Kafka producer.

    (With FoundationDB, run venue pools with --pool threads: libfdb_c cannot be forked.)
    """
    use_database(None)
    runtime.report_producer.cache_clear()
    runtime.adapter.cache_clear()
