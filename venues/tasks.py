"""Celery tasks of the venue pools (queue venue.<VENUE>): thin, they parse and call the adapter.

Delivery: at least once (acks late). A redelivered place is answered 409 by the venue and
changes nothing; a cancel the venue does not know yet is retried.
"""

from __future__ import annotations

import json
from typing import Any

from celery import shared_task

from venues import runtime
from venues.adapters.sim.adapter import CancelTooEarly
from venues.adapters.sim.parse import synthetic_report

CANCEL_RETRIES = 10


def _command(envelope: str) -> dict[str, Any]:
    payload: dict[str, Any] = json.loads(envelope)["payload"]
    return payload


@shared_task(name="venues.place_attempt", acks_late=True)
def place_attempt(envelope: str) -> str:
    command = _command(envelope)
    return runtime.adapter(command["venue"]).place(command)


@shared_task(name="venues.cancel_attempt", bind=True, acks_late=True, max_retries=CANCEL_RETRIES)
def cancel_attempt(self: Any, envelope: str) -> str:
    command = _command(envelope)
    try:
        return runtime.adapter(command["venue"]).cancel(command)
    except CancelTooEarly as error:
        if self.request.retries < CANCEL_RETRIES:
            raise self.retry(countdown=0.2 * (self.request.retries + 1)) from error
        # The venue never saw the attempt: nothing can fill, so it ends canceled here.
        runtime.emit_report(
            synthetic_report(command["venue"], command["client_order_id"], "canceled", str(error))
        )
        runtime.flush_reports()
        return "canceled-unseen"
