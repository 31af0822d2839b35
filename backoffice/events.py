"""The messages the projector reads, decoded and checked: no Django here.

Envelopes of evt.trading.order.v1, evt.trading.fill.v1 and evt.ledger.entry.v1, decoded (and
validated) by their contracts (contracts.registry), and the raw messages of the execution
reports' dead-letter topic. `rebuild_read_models` builds the same events from the store
(`order_event`, `fill_event`, `entry_event`), so both paths write the read models through one
function.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from contracts import registry
from contracts.envelope import Refused
from contracts.ledger import ENTRY, EntryV1
from contracts.trading import FILL, ORDER, FillV1, OrderDeltaV1
from contracts.values import time_of
from contracts.venue import EXECUTION_REPORT_DLQ

ORDER_TOPIC = ORDER
FILL_TOPIC = FILL
LEDGER_TOPIC = ENTRY
DLQ_TOPIC = EXECUTION_REPORT_DLQ
TOPICS = (ORDER_TOPIC, FILL_TOPIC, LEDGER_TOPIC, DLQ_TOPIC)
MAX_TEXT = 10_000  # characters of a dead letter's value kept for the admin


class BadMessage(ValueError):
    """Not a message the projector can apply; the reason goes to its dead-letter topic."""


# The payloads are the contracts' structs (contracts/trading.py, contracts/ledger.py): the
# projector decodes with them and reads their decimal and time strings through `decimal_of`
# and `time_of`.
OrderDelta = OrderDeltaV1
FillEvent = FillV1
EntryEvent = EntryV1


@dataclass(frozen=True)
class DeadLetterEvent:
    topic: str
    partition: int
    offset: int
    key: str
    value: str
    reason: str
    source: str


Payload = OrderDelta | FillEvent | EntryEvent | DeadLetterEvent


@dataclass(frozen=True)
class Event:
    """One message to project: its id (for idempotency), when it was made, what it says.

    `order_created_at`: an order's creation time, which only a rebuild knows (the wire's
    deltas do not carry it; their seq 1 is the acceptance, so its `updated_at` tells it).
    """

    message_id: str
    topic: str
    created_at: datetime
    payload: Payload
    order_created_at: datetime | None = None


def decode(message: Any) -> Event:
    """A Kafka message (confluent_kafka.Message or alike) as an Event, or BadMessage."""
    topic = message.topic() or ""
    if topic == DLQ_TOPIC:
        return _dead_letter(message)
    if topic not in (ORDER_TOPIC, FILL_TOPIC, LEDGER_TOPIC):
        raise BadMessage(f"not a topic the projector reads: {topic!r}")
    try:
        envelope = registry.decode(topic, message.value() or b"")
    except Refused as error:
        raise BadMessage(str(error)) from None
    return Event(envelope.message_id, topic, time_of(envelope.created_at), envelope.payload)


def _dead_letter(message: Any) -> Event:
    headers = {k: (v or b"").decode("utf-8", "replace") for k, v in (message.headers() or [])}
    partition, offset = int(message.partition() or 0), int(message.offset() or 0)
    where = f"{message.topic()}/{partition}/{offset}"
    # The same report dead-lettered twice (ingest replayed its batch) has the same source.
    source = headers.get("source", "")
    kind, millis = message.timestamp() if hasattr(message, "timestamp") else (0, 0)
    at = datetime.fromtimestamp(millis / 1000, UTC) if kind and millis > 0 else datetime.now(UTC)
    payload = DeadLetterEvent(
        topic=message.topic() or "",
        partition=partition,
        offset=offset,
        key=(message.key() or b"").decode("utf-8", "replace")[:200],
        value=(message.value() or b"").decode("utf-8", "replace")[:MAX_TEXT],
        reason=headers.get("reason", ""),
        source=source,
    )
    return Event(f"dlq:{source or where}", DLQ_TOPIC, at, payload)


# --- the same events, from the store (rebuild) -------------------------------------------------


def order_event(delta: OrderDeltaV1, created_at: datetime) -> Event:
    """`trading.snapshots.order_delta(order)` of the store's order, with its creation time."""
    message_id = f"{delta.order_id}:{delta.seq}:delta"
    return Event(message_id, ORDER_TOPIC, created_at, delta, order_created_at=created_at)


def fill_event(fill: FillV1, applied_at: datetime) -> Event:
    """`trading.snapshots.fill_event(...)`, as evt.trading.fill.v1 carries it."""
    return Event(f"{fill.fill_id}:fill", FILL_TOPIC, applied_at, fill)


def entry_event(entry: EntryV1) -> Event:
    """`trading.services.execution.entry_payload(entry)`, as evt.ledger.entry.v1 carries it."""
    return Event(f"{entry.entry_id}:entry", LEDGER_TOPIC, time_of(entry.created_at), entry)
