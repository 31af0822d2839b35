"""The registry of the platform's Kafka consumers: name -> topic, handler, dead-letter topic.

`python manage.py run_consumer NAME` runs one of them. Handlers are referenced as functions.
"""

from __future__ import annotations

from collections.abc import Callable

from infra.bus.consume import ConsumerSpec
from infra.store import database
from trading import ingest
from trading.outbox import EXECUTION_REPORTS, EXECUTION_REPORTS_DLQ


def _ingest() -> ConsumerSpec:
    db = database()
    return ConsumerSpec(
        name="ingest",
        topic=EXECUTION_REPORTS,
        group_id="trading-ingest",
        handle=lambda messages: ingest.handle_messages(db, messages),
        dead_letter_topic=EXECUTION_REPORTS_DLQ,
    )


CONSUMERS: dict[str, Callable[[], ConsumerSpec]] = {"ingest": _ingest}
