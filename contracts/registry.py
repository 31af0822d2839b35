"""Topic (or command) name -> its one struct, and the only way messages are encoded and decoded.

    from contracts import registry
    data = registry.encode(ORDER, message_id=..., key=order_id, created_at=now, payload=delta)
    envelope = registry.decode(ORDER, data)  # Envelope[OrderDeltaV1], or Refused(reason)

A newcomer finds a message's definition by its name here. Decoding validates every field
(types, decimal precision, required fields, times with their zone); what fails raises
`Refused` with msgspec's reason (naming the field), which the consumer dead-letters.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, TypeVar

import msgspec

from contracts.envelope import Envelope, Refused
from contracts.ledger import ENTRY, EntryV1
from contracts.trading import FILL, ORDER, FillV1, OrderDeltaV1
from contracts.values import time_text
from contracts.venue import (
    CANCEL,
    EXECUTION_REPORT,
    PLACE,
    CancelAttemptV1,
    ExecutionReportV1,
    PlaceAttemptV1,
)

Payload = PlaceAttemptV1 | CancelAttemptV1 | ExecutionReportV1 | OrderDeltaV1 | FillV1 | EntryV1

S = TypeVar("S", bound=msgspec.Struct)

TOPICS: dict[str, type[msgspec.Struct]] = {
    PLACE: PlaceAttemptV1,
    CANCEL: CancelAttemptV1,
    EXECUTION_REPORT: ExecutionReportV1,
    ORDER: OrderDeltaV1,
    FILL: FillV1,
    ENTRY: EntryV1,
}

_encoder = msgspec.json.Encoder()
_decoders: dict[str, msgspec.json.Decoder[Any]] = {
    name: msgspec.json.Decoder(Envelope[kind])  # type: ignore[valid-type]
    for name, kind in TOPICS.items()
}


def struct_of(topic: str) -> type[msgspec.Struct]:
    """The payload struct of `topic`; Refused for a name that has none."""
    try:
        return TOPICS[topic]
    except KeyError:
        raise Refused(f"no contract for {topic!r}") from None


def envelope(
    topic: str, *, message_id: str, key: str, created_at: datetime, payload: msgspec.Struct
) -> Envelope[Any]:
    """The envelope of one message; `payload` must be the topic's struct."""
    kind = struct_of(topic)
    if type(payload) is not kind:
        raise TypeError(f"{topic} carries {kind.__name__}, not {type(payload).__name__}")
    return Envelope(message_id, topic, key, time_text(created_at), payload)


def encode(
    topic: str, *, message_id: str, key: str, created_at: datetime, payload: msgspec.Struct
) -> bytes:
    """The wire form of one message of `topic`."""
    return _encoder.encode(
        envelope(topic, message_id=message_id, key=key, created_at=created_at, payload=payload)
    )


def encode_envelope(message: Envelope[Any]) -> bytes:
    return _encoder.encode(message)


def decode(topic: str, data: bytes | str) -> Envelope[Any]:
    """The envelope in `data`, its payload validated as `topic`'s struct; Refused if it is not."""
    decoder = _decoders.get(topic)
    if decoder is None:
        raise Refused(f"no contract for {topic!r}")
    try:
        message: Envelope[Any] = decoder.decode(data)
    except msgspec.DecodeError as error:  # ValidationError is one: it names the field
        raise Refused(f"bad {topic} message: {error}") from None
    if message.type != topic:
        raise Refused(f"bad {topic} message: its type is {message.type!r}")
    return message


def convert(topic: str, payload: Any) -> msgspec.Struct:
    """`payload` (the struct, or the same as plain dicts and lists) as `topic`'s struct; plain
    values are validated as a decoder would (Refused if they break the contract), a struct is
    taken as it is (`check` validates one)."""
    kind = struct_of(topic)
    if type(payload) is kind:
        return payload
    try:
        return msgspec.convert(payload, kind)
    except msgspec.ValidationError as error:
        raise Refused(f"bad {topic} payload: {error}") from None


def build(kind: type[S], fields: Mapping[str, Any]) -> S:
    """`fields` (plain values) as the struct `kind`, validated as a decoder would (Refused
    if they break the contract)."""
    try:
        return msgspec.convert(fields, kind)
    except msgspec.ValidationError as error:
        raise Refused(f"bad {kind.__name__}: {error}") from None


def check(topic: str, payload: msgspec.Struct) -> None:
    """Refused when `payload` breaks `topic`'s contract as a consumer's decoder would see it
    (building a struct checks types only for the type checker, not the patterns and bounds)."""
    kind = struct_of(topic)
    if type(payload) is not kind:
        raise Refused(f"bad {topic} payload: {type(payload).__name__}, not {kind.__name__}")
    try:
        msgspec.convert(msgspec.to_builtins(payload), kind)
    except msgspec.ValidationError as error:
        raise Refused(f"bad {topic} payload: {error}") from None
