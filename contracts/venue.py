"""The venue family: the two Celery commands to a venue pool, and the normalized report back.

- `cmd.venue.place.v1` (`PlaceAttemptV1`): Celery task `venues.place_attempt` on queue
  `venue.<VENUE>`, its one argument the envelope as JSON text.
- `cmd.venue.cancel.v1` (`CancelAttemptV1`): task `venues.cancel_attempt`, same queue.
- `evt.venue.execution.report.v1` (`ExecutionReportV1`): Kafka, key = order id, written by every
  venue adapter (its venue's own payloads stay inside the adapter: `parse_to_report()`).
  Refused reports go to `evt.venue.execution.report.v1.dlq` as they came, the reason in headers.
"""

from __future__ import annotations

from typing import Any, Literal

import msgspec

from contracts.values import Amount, Id, Timestamp, VenueDecimal, check_times

PLACE = "cmd.venue.place.v1"
CANCEL = "cmd.venue.cancel.v1"
EXECUTION_REPORT = "evt.venue.execution.report.v1"
EXECUTION_REPORT_DLQ = "evt.venue.execution.report.v1.dlq"

ExecType = Literal["new", "trade", "expired", "canceled", "rejected"]


class CancelAttemptV1(msgspec.Struct, frozen=True):
    """Cancel what is left of one attempt at its venue."""

    order_id: Id
    attempt_id: Id
    client_order_id: Id  # "<order_id>:<attempt_id>", the venue's key for the attempt
    venue: Id


class PlaceAttemptV1(msgspec.Struct, frozen=True):
    """Send one attempt (a child order) to its venue."""

    order_id: Id
    attempt_id: Id
    client_order_id: Id
    venue: Id
    instrument: Id
    side: Literal["buy", "sell"]
    quantity: Amount
    type: Literal["limit", "market"]
    price: Amount | None
    time_in_force: Literal["IOC", "GTC", "DAY"]


class ExecutionReportV1(msgspec.Struct, frozen=True):
    """One venue report about one attempt; `exec_id` is unique per venue.

    `cum_quantity` is the venue's cumulative filled quantity of the attempt when it sent the
    report. Numbers are as the venue said them: precision, sign, size, step and tick are the
    domain's rules (trading/domain/reports.py), which quarantine a report against its order
    rather than lose what a venue says happened.
    """

    venue: Id
    exec_id: Id
    order_id: Id
    attempt_id: Id
    exec_type: ExecType
    cum_quantity: VenueDecimal
    leaves_quantity: VenueDecimal
    last_quantity: VenueDecimal = "0"
    last_price: VenueDecimal = "0"
    fee: VenueDecimal = "0"
    fee_asset: str = ""
    venue_fill_id: str | None = None
    reason: str | None = None
    transact_time: Timestamp | None = None
    raw: dict[str, Any] = {}  # what the venue sent, for the back office

    def __post_init__(self) -> None:
        check_times(transact_time=self.transact_time)

    @property
    def message_id(self) -> str:
        """The envelope's id: the venue's exec id, so a report sent twice is seen once."""
        return f"{self.venue}:{self.exec_id}"


class BareExecutionReportV1(ExecutionReportV1, frozen=True, kw_only=True):
    """A report as adapters wrote it before it had the envelope: the payload and its id.

    Accepted by ingest for the one release after the envelope (reports already on the topic,
    and adapters not yet upgraded during a rolling deploy); remove it with that release.
    """

    message_id: Id  # a field here, the property of the enveloped report
