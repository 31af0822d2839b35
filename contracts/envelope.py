"""The envelope every message travels in (DESIGN.md "Messages have one definition").

`{"message_id", "type", "key", "created_at", "payload"}`: `message_id` is unique and
deterministic (consumers dedupe by it), `type` is the topic or command name, `key` the Kafka
key (the order id, or the trader for a ledger entry without an order), `created_at` when the
producer made it, `payload` the topic's struct.
"""

from __future__ import annotations

from typing import Generic, TypeVar

import msgspec

from contracts.values import Id, Timestamp, check_times

P = TypeVar("P")


class Envelope(msgspec.Struct, Generic[P], frozen=True):
    """One message of topic `type`; decoding `Envelope[Payload]` validates the payload too."""

    message_id: Id
    type: Id
    key: str
    created_at: Timestamp
    payload: P

    def __post_init__(self) -> None:
        check_times(created_at=self.created_at)


class Refused(ValueError):
    """A message that is not what its topic's contract says; the text is the reason."""
