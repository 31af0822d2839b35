"""Celery tasks of the venue pools (queue venue.<VENUE>): thin, they check the store and call
the adapter.

Each task's one argument is its command's envelope as JSON text (contracts/venue.py:
cmd.venue.place.v1, cmd.venue.cancel.v1); one that breaks its contract is refused (logged,
never retried).

Delivery: at least once (acks late, a short visibility timeout). Each command first checks in
the store that its attempt is still live; a place is sent only before its send deadline
(venues/recovery/timing.py) and a redelivered one is asked about at the venue first; a cancel
the venue does not know yet is retried until the attempt can no longer be placed.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from celery import Task, shared_task

from contracts import registry
from contracts.envelope import Refused
from contracts.venue import CANCEL, PLACE, CancelAttemptV1, PlaceAttemptV1
from infra.store import database
from infra.store.api import Transaction, run
from trading.domain.orders import Attempt
from venues import runtime
from venues.adapters.sim.adapter import CancelNotDelivered, CancelTooEarly
from venues.adapters.sim.parse import synthetic_report
from venues.recovery.commands import live_attempt, start_place
from venues.recovery.timing import NOT_PLACED_AFTER_S, send_deadline

log = logging.getLogger(__name__)

CANCEL_RETRIES = 60


C = TypeVar("C", PlaceAttemptV1, CancelAttemptV1)


class _Refused(Exception):
    """The command is not what its contract says: it is refused, never retried."""


def _command(topic: str, envelope: str, kind: type[C]) -> C:
    """The command's payload struct (contracts/venue.py), decoded and validated."""
    try:
        payload = registry.decode(topic, envelope).payload
    except Refused as error:
        log.error("refused a command: %s", error)
        raise _Refused(str(error)) from None
    if not isinstance(payload, kind):  # the registry's struct of `topic` is `kind`
        raise _Refused(f"{topic} carries {type(payload).__name__}, not {kind.__name__}")
    return payload


@shared_task(name="venues.place_attempt", acks_late=True)
def place_attempt(envelope: str) -> str:
    try:
        command = _command(PLACE, envelope, PlaceAttemptV1)
    except _Refused as error:
        return f"refused: {error}"
    now = datetime.now(UTC)

    def check_then_start(tr: Transaction) -> tuple[Attempt | None, bool]:
        """One transaction: the attempt is live, and its place is recorded as started."""
        attempt = live_attempt(tr, command.order_id, command.attempt_id)
        if attempt is None:
            return None, False
        return attempt, start_place(tr, command.venue, command.client_order_id, now)

    attempt, again = run(database(), check_then_start)
    if attempt is None:
        return "skipped: the attempt ended or is unknown"
    return runtime.adapter(command.venue).place(
        command, send_before=send_deadline(attempt.created_at), ask_first=again
    )


@shared_task(name="venues.cancel_attempt", bind=True, acks_late=True, max_retries=CANCEL_RETRIES)
def cancel_attempt(self: Task[[str], str], envelope: str) -> str:
    try:
        command = _command(CANCEL, envelope, CancelAttemptV1)
    except _Refused as error:
        return f"refused: {error}"
    attempt = run(database(), lambda tr: live_attempt(tr, command.order_id, command.attempt_id))
    if attempt is None:
        return "skipped: the attempt ended or is unknown"
    try:
        return runtime.adapter(command.venue).cancel(command)
    except CancelNotDelivered as error:
        if self.request.retries < CANCEL_RETRIES:
            raise self.retry(countdown=min(0.5 * 2**self.request.retries, 10)) from error
        # Reconciliation still learns the attempt's end from the venue; we stop asking.
        log.error("cancel of %s never delivered: %s", command.client_order_id, error)
        return "undelivered"
    except CancelTooEarly as error:
        unplaceable_at = attempt.created_at + timedelta(seconds=NOT_PLACED_AFTER_S)
        if datetime.now(UTC) < unplaceable_at and self.request.retries < CANCEL_RETRIES:
            raise self.retry(countdown=1.0) from error
        # Past its send deadline the venue will never see it: nothing can fill, it ends here.
        runtime.emit_report(
            synthetic_report(command.venue, command.client_order_id, "canceled", str(error))
        )
        runtime.flush_reports()
        return "canceled-unseen"
