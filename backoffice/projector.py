"""The back-office projector: trading-core's events from Kafka -> the read models.

Reads evt.trading.order.v1, evt.trading.fill.v1, evt.ledger.entry.v1 and the execution
reports' dead-letter topic (registered as "projector" in wiring/consumers.py).
Delivery: at least once; idempotent by message id (ProcessedMessage) and by the records' own
keys (see backoffice/projection.py). A batch is ONE Django transaction, taken under the
projector's row lock, so batches (and a rebuild) never interleave; a message that cannot be
decoded is refused and goes to DEAD_LETTER_TOPIC.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from django.db import (
    DatabaseError,
    DataError,
    close_old_connections,
    connection,
    transaction,
)

from backoffice import events as ev
from backoffice.metrics import PROJECTOR_LAG
from backoffice.models import ProcessedMessage
from backoffice.projection import lock_projector, project

log = logging.getLogger(__name__)

GROUP_ID = "backoffice-projector"
TOPICS = ev.TOPICS
DEAD_LETTER_TOPIC = "backoffice.projector.v1.dlq"
# The read models may lag a fraction of a second: an idle broker then answers 10x less often,
# and a batch gathers 200 ms of events into one transaction (one commit, one recompute of
# each position its fills touched) instead of one per event or two.
FETCH_WAIT_MS = 250
LINGER_S = 0.2
ATTEMPTS = 3  # a batch that lost a race (unique key, deadlock) is tried again, then raised


def handle_messages(messages: Sequence[Any]) -> list[tuple[Any, str]]:
    """The consumer's handler: project a batch, return the messages refused with a reason.

    A message the read models cannot hold (a value too long or too large for its column)
    would fail its batch forever: then the batch is applied one message at a time and that
    one is refused, so the others go on.
    """
    decoded: list[tuple[Any, ev.Event]] = []
    refused: list[tuple[Any, str]] = []
    for message in messages:
        try:
            decoded.append((message, ev.decode(message)))
        except ev.BadMessage as error:
            refused.append((message, str(error)))
    if not decoded:
        return refused
    try:
        apply_events([event for _, event in decoded])
    except DataError:
        for message, event in decoded:
            try:
                apply_events([event])
            except DataError as error:
                refused.append((message, f"cannot be stored: {error}".strip()))
    return refused


def apply_events(events: Sequence[ev.Event]) -> int:
    """Apply the events not applied before, in one transaction; returns how many were new."""
    if not connection.in_atomic_block:  # (a caller's transaction keeps its connection)
        close_old_connections()  # a long-running consumer outlives CONN_MAX_AGE
    for attempt in range(1, ATTEMPTS + 1):
        try:
            with transaction.atomic():
                fresh = _apply(events)
            break
        except DatabaseError as error:  # IntegrityError is one: someone wrote the same row
            if attempt == ATTEMPTS or isinstance(error, DataError):
                raise
            log.warning("projector batch failed (%s), attempt %d: again", error, attempt)
    newest = max(e.created_at for e in events)
    PROJECTOR_LAG.set(max(0.0, (datetime.now(UTC) - newest).total_seconds()))
    return fresh


def _apply(events: Sequence[ev.Event]) -> int:
    state = lock_projector()
    unique = {e.message_id: e for e in reversed(events)}  # the first of each id wins
    seen = set(
        ProcessedMessage.objects.filter(message_id__in=list(unique)).values_list(
            "message_id", flat=True
        )
    )
    fresh = [e for e in events if e.message_id not in seen and unique[e.message_id] is e]
    if fresh:
        ProcessedMessage.objects.bulk_create(
            [ProcessedMessage(message_id=e.message_id, topic=e.topic) for e in fresh]
        )
        project(fresh)
    newest = max(e.created_at for e in events)
    state.last_created_at = max(filter(None, (state.last_created_at, newest)))
    state.last_batch_at = datetime.now(UTC)
    state.messages_total += len(fresh)
    state.save()
    return len(fresh)
