"""The messages the projector reads, decoded and checked: no Django here.

Envelopes (`{"message_id", "type", "key", "created_at", "payload"}`) of
evt.trading.order.v1, evt.trading.fill.v1 and evt.ledger.entry.v1, and the raw messages of
the execution reports' dead-letter topic. `rebuild_read_models` builds the same events from
the store (`from_store_*`), so both paths write the read models through one function.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Literal

import msgspec

from trading import outbox

ORDER_TOPIC = outbox.ORDER_EVENTS
FILL_TOPIC = outbox.FILL_EVENTS
LEDGER_TOPIC = outbox.LEDGER_EVENTS
DLQ_TOPIC = outbox.EXECUTION_REPORTS_DLQ
TOPICS = (ORDER_TOPIC, FILL_TOPIC, LEDGER_TOPIC, DLQ_TOPIC)
MAX_TEXT = 10_000  # characters of a dead letter's value kept for the admin


class BadMessage(ValueError):
    """Not a message the projector can apply; the reason goes to its dead-letter topic."""


class AttemptView(msgspec.Struct, frozen=True):
    attempt_id: str
    venue: str
    quantity: str
    filled_quantity: str
    state: str


class OrderDelta(msgspec.Struct, frozen=True):
    order_id: str
    trader_id: str
    seq: int
    state: str
    instrument: str
    quantity: Decimal
    filled_quantity: Decimal
    remaining_quantity: Decimal
    average_price: Decimal | None
    attempts: list[AttemptView]
    updated_at: datetime
    created_at: datetime | None = None  # not on the wire: a rebuild knows it from the store


class FillEvent(msgspec.Struct, frozen=True):
    fill_id: str
    order_id: str
    trader_id: str
    attempt_id: str
    venue: str
    venue_fill_id: str
    instrument: str
    side: Literal["buy", "sell"]
    quantity: Decimal
    price: Decimal
    fee: Decimal
    fee_asset: str
    executed_at: datetime


class PostingEvent(msgspec.Struct, frozen=True):
    account: str
    asset: str
    amount_minor: int


class EntryEvent(msgspec.Struct, frozen=True):
    entry_id: str
    kind: str
    order_id: str | None
    memo: str
    reverses: str | None
    created_at: datetime
    postings: list[PostingEvent]


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
    """One message to project: its id (for idempotency), when it was made, what it says."""

    message_id: str
    topic: str
    created_at: datetime
    payload: Payload


class _Envelope(msgspec.Struct, frozen=True):
    message_id: str
    type: str
    key: str
    created_at: datetime
    payload: msgspec.Raw


_envelope = msgspec.json.Decoder(_Envelope)
_PAYLOADS: dict[str, type[Any]] = {
    ORDER_TOPIC: OrderDelta,
    FILL_TOPIC: FillEvent,
    LEDGER_TOPIC: EntryEvent,
}
_payload_decoders = {topic: msgspec.json.Decoder(kind) for topic, kind in _PAYLOADS.items()}


def decode(message: Any) -> Event:
    """A Kafka message (confluent_kafka.Message or alike) as an Event, or BadMessage."""
    topic = message.topic() or ""
    if topic == DLQ_TOPIC:
        return _dead_letter(message)
    decoder = _payload_decoders.get(topic)
    if decoder is None:
        raise BadMessage(f"not a topic the projector reads: {topic!r}")
    try:
        envelope = _envelope.decode(message.value() or b"")
        payload = decoder.decode(envelope.payload)
    except msgspec.DecodeError as error:
        raise BadMessage(f"bad {topic} message: {error}") from None
    _check_times(envelope.created_at, payload)
    return Event(envelope.message_id, topic, envelope.created_at, payload)


def _check_times(created_at: datetime, payload: Any) -> None:
    times = [created_at, *(getattr(payload, f, None) for f in ("updated_at", "executed_at"))]
    if isinstance(payload, EntryEvent):
        times.append(payload.created_at)
    if any(t is not None and t.tzinfo is None for t in times):
        raise BadMessage("times must carry a time zone")


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


def order_event(delta: dict[str, Any], created_at: datetime) -> Event:
    """`trading.snapshots.order_delta(order)` of the store's order, with its creation time."""
    payload = msgspec.convert({**delta, "created_at": created_at}, OrderDelta)
    return Event(f"{delta['order_id']}:{delta['seq']}:delta", ORDER_TOPIC, created_at, payload)


def fill_event(view: dict[str, Any], applied_at: datetime) -> Event:
    """`fill_view(...)` plus `trader_id`, as evt.trading.fill.v1 carries it."""
    payload = msgspec.convert(view, FillEvent, strict=False)
    return Event(f"{view['fill_id']}:fill", FILL_TOPIC, applied_at, payload)


def entry_event(payload: dict[str, Any]) -> Event:
    """`trading.services.execution.entry_payload(entry)`, as evt.ledger.entry.v1 carries it."""
    entry = msgspec.convert(payload, EntryEvent, strict=False)
    return Event(f"{entry.entry_id}:entry", LEDGER_TOPIC, entry.created_at, entry)
