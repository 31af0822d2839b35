"""A Celery bootstep: the worker of queue venue.<VENUE> also follows that venue's stream and
reconciles with it.

So a venue pool is the whole adapter: commands in through its queue, reports and books out
through its stream, and every live attempt asked about at the venue on a timer. Several
workers of one pool each do this; ingest drops the duplicates, and the quotes keep the newest
version. A keeper thread restarts the stream or reconciler thread if one ever dies.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from functools import partial
from typing import Any

from celery import bootsteps
from celery.signals import worker_process_init
from django.conf import settings

from infra.store import database, use_database
from infra.store.api import run
from venues import runtime
from venues.adapters.sim.stream import VenueStream
from venues.recovery.heartbeat import forget
from venues.recovery.reconciler import Reconciler

log = logging.getLogger(__name__)
# Celery logs two INFO lines per command ("received", "succeeded") and httpx one per request:
# at load they cost the pool more than the command's own bookkeeping. Failures still log.
for _name in ("celery.app.trace", "celery.worker.strategy", "httpx"):
    logging.getLogger(_name).setLevel(logging.WARNING)

KEEPER_EVERY_S = 1.0


class VenueStreams(bootsteps.StartStopStep):
    requires = ("celery.worker.components:Pool",)

    def __init__(self, worker: Any, **kwargs: Any) -> None:
        self.stop_event = threading.Event()
        self.venues: list[str] = []
        self.threads: dict[str, threading.Thread] = {}
        self.targets: dict[str, Callable[[threading.Event], None]] = {}
        self.keeper: threading.Thread | None = None

    def start(self, worker: Any) -> None:
        queues = worker.app.amqp.queues.consume_from or {}
        self.venues = [name.removeprefix("venue.") for name in queues if name.startswith("venue.")]
        ws_url = settings.VENUE_SIMULATOR_URL.replace("http", "ws", 1)
        for venue in self.venues:
            if runtime.is_fix(venue):  # the session is its stream, OrderStatusRequest its query
                fix = runtime.fix_adapter(venue)
                self.targets[f"session-{venue}"] = fix.session.run
                reconciler = Reconciler(database(), fix, runtime.emit_report, runtime.flush_reports)
                self.targets[f"reconcile-{venue}"] = reconciler.run_forever
                log.info("keeping the %s FIX session and reconciling over it", venue)
                continue
            stream = VenueStream(
                database(), ws_url, venue, runtime.emit_report, runtime.flush_reports
            )
            reconciler = Reconciler(
                database(), runtime.client(venue), runtime.emit_report, runtime.flush_reports
            )
            self.targets[f"stream-{venue}"] = stream.run
            self.targets[f"reconcile-{venue}"] = reconciler.run_forever
            log.info("following the %s stream and reconciling with it", venue)
        for name in self.targets:
            self._start_thread(name)
        if self.targets:
            self.keeper = threading.Thread(target=self._keep, name="venue-keeper", daemon=True)
            self.keeper.start()

    def _start_thread(self, name: str) -> None:
        thread = threading.Thread(
            target=self.targets[name], args=(self.stop_event,), name=name, daemon=True
        )
        thread.start()
        self.threads[name] = thread

    def _keep(self) -> None:
        """A thread that died (a bug its loop did not catch) is started again, loudly."""
        while not self.stop_event.wait(KEEPER_EVERY_S):
            for name, thread in list(self.threads.items()):
                if not thread.is_alive() and not self.stop_event.is_set():
                    log.error("thread %s died: starting it again", name)
                    self._start_thread(name)

    def stop(self, worker: Any) -> None:
        self.stop_event.set()
        for thread in self.threads.values():
            thread.join(timeout=5)
        for venue in self.venues:
            try:
                run(database(), partial(forget, venue=venue))
            except Exception as error:  # noqa: BLE001 - stopping goes on
                log.warning("heartbeat of %s not cleared: %s", venue, error)


@worker_process_init.connect
def forget_the_parents_clients(**kwargs: Any) -> None:
    """A forked pool process must not share the parent's store connections or Kafka producer.

    (With FoundationDB, run venue pools with --pool threads: libfdb_c cannot be forked.)
    """
    use_database(None)
    runtime.reset()
