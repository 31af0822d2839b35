"""The registry of the platform's Kafka consumers: name -> topic, handler, dead-letter topic.

`python manage.py run_consumer NAME` runs one of them. Handlers are referenced as functions.
"""

from __future__ import annotations

from collections.abc import Callable

from backoffice import projector
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


def _projector() -> ConsumerSpec:
    """The back office's read models (backoffice/projector.py)."""
    first, *more = projector.TOPICS
    return ConsumerSpec(
        name="projector",
        topic=first,
        extra_topics=tuple(more),
        group_id=projector.GROUP_ID,
        handle=projector.handle_messages,
        dead_letter_topic=projector.DEAD_LETTER_TOPIC,
        fetch_wait_ms=projector.FETCH_WAIT_MS,
        linger_s=projector.LINGER_S,
    )


CONSUMERS: dict[str, Callable[[], ConsumerSpec]] = {"ingest": _ingest, "projector": _projector}
