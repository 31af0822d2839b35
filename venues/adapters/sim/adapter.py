"""Place and cancel attempts at a simulator venue, resolving unknown outcomes by query.

The attempt's client order id is the venue's key, so a place whose answer was lost is never
sent blindly again: we ask the venue first, and send again only when it never saw it.
Whatever the venue cannot report itself (it refused our request, or it is down) the adapter
reports as a synthetic execution report, so the order never waits for nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from contracts.venue import CancelAttemptV1, ExecutionReportV1, PlaceAttemptV1
from venues.adapters.sim.client import Answer, OutcomeUnknown, VenueClient, VenueUnavailable
from venues.adapters.sim.parse import synthetic_report

log = logging.getLogger(__name__)

Emit = Callable[[ExecutionReportV1], None]  # publishes a normalized report to Kafka


class CancelTooEarly(Exception):
    """The venue does not know the attempt yet: its place is still on the way; retry later."""


class CancelNotDelivered(CancelTooEarly):
    """The venue is down or did not answer: the cancel may not have arrived; retry later."""


class SendDeadlinePassed(Exception):
    """The place is too late to send: reconciliation ends the attempt as not placed."""


class SimAdapter:
    def __init__(self, client: VenueClient, emit: Emit, on_down: Callable[[str], None]) -> None:
        self.client = client
        self.emit = emit
        self.on_down = on_down

    @property
    def venue(self) -> str:
        return self.client.venue

    def place(
        self,
        command: PlaceAttemptV1,
        send_before: datetime | None = None,
        ask_first: bool = False,
    ) -> str:
        """Send one attempt; returns what happened ("sent", "known", "rejected", "down", "late",
        "unknown"). `ask_first`: it may have been sent before, so the venue is asked first."""
        coid = command.client_order_id
        order = {  # the venue's order (venues/simulator/PROTOCOL.md)
            "client_order_id": coid,
            "instrument": command.instrument,
            "side": command.side,
            "quantity": command.quantity,
            "type": command.type,
            "price": command.price,
            "time_in_force": command.time_in_force,
        }
        try:
            if ask_first and self._known(coid):
                return "known"  # a redelivered command: its reports come on the stream
            answer = self._place_once(order, send_before)
        except SendDeadlinePassed:
            log.warning("%s: %s not sent, past its send deadline", self.venue, coid)
            return "late"
        except OutcomeUnknown as error:
            # It may be at the venue: only the venue can tell, and reconciliation will ask it.
            log.warning(
                "%s: outcome of %s unknown (%s): left to reconciliation", self.venue, coid, error
            )
            return "unknown"
        except VenueUnavailable as error:
            self.on_down(str(error))
            if ask_first:
                return "unknown"  # it may have arrived before the venue went down
            self.emit(synthetic_report(self.venue, coid, "rejected", f"venue down: {error}"))
            return "down"
        if answer.status == 409:
            return "known"  # sent before (a redelivered command): the venue keeps one order
        if answer.status >= 400:
            reason = f"venue refused the order ({answer.status}): {answer.body}"
            self.emit(synthetic_report(self.venue, coid, "rejected", reason))
            return "rejected"
        return "sent"

    def _known(self, coid: str) -> bool:
        return self.client.query(coid).status == 200

    def _place_once(self, order: dict[str, Any], send_before: datetime | None) -> Answer:
        coid = order["client_order_id"]
        maybe_sent = False  # once a send had no answer, only the venue can say it is not there
        for _ in range(3):
            if send_before is not None and datetime.now(UTC) >= send_before:
                if maybe_sent:
                    raise OutcomeUnknown(f"{coid}: no answer before its send deadline")
                raise SendDeadlinePassed(coid)
            try:
                return self.client.place(order)
            except OutcomeUnknown as error:
                maybe_sent = True
                log.warning("%s: no answer to %s (%s): asking the venue", self.venue, coid, error)
                try:
                    known = self.client.query(coid)
                except (OutcomeUnknown, VenueUnavailable):
                    continue
                if known.status == 200:
                    return known  # it arrived: its reports come on the stream
            except VenueUnavailable:
                if maybe_sent:
                    raise OutcomeUnknown(f"{self.venue} went down after sending {coid}") from None
                raise
        raise OutcomeUnknown(f"no answer from {self.venue} for {coid} after 3 tries")

    def cancel(self, command: CancelAttemptV1) -> str:
        coid = command.client_order_id
        try:
            answer = self.client.cancel(coid)
        except (VenueUnavailable, OutcomeUnknown) as error:
            raise CancelNotDelivered(f"cancel of {coid} not delivered: {error}") from error
        if answer.status == 404:
            raise CancelTooEarly(f"{self.venue} does not know {coid} yet")
        result = "canceled" if answer.status == 200 else "already-ended"
        log.info("%s answered the cancel of %s: %s", self.venue, coid, result)
        return result
