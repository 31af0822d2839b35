"""The outbox: every side effect of trading-core, written in the same transaction as the change.

Rows are keyed by versionstamp, so the publisher reads them in commit order; a counter key
is bumped with an atomic add in every writing transaction so the publisher can watch it
instead of polling. Published rows are kept for a retention window (`prune`), so the events
can be published again when a Kafka broker lost its log (`start_replay`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import msgspec

from contracts import ledger, trading, venue
from contracts.registry import Payload, check, convert, struct_of
from infra.store.api import Transaction
from infra.store.keys import Subspace, versionstamp
from kernel import codec

ROOT = Subspace(("outbox",))
MESSAGES = ROOT["message"]  # (versionstamp) -> OutboxMessage
CURSOR = ROOT["cursor"]  # (publisher name) -> last published key
SIGNAL = ROOT.pack(("signal",))  # bumped by every transaction that writes a message
MARK = ROOT["mark"]  # (publisher, topic, partition) -> last offset Kafka acknowledged
REPLAY = ROOT["replay"]  # (publisher) -> Replay, while the events are published again

# Topics: part of the public contract (DESIGN.md "Messages"); each one's struct is in
# contracts/ (contracts.registry.TOPICS).
ORDER_EVENTS = trading.ORDER
FILL_EVENTS = trading.FILL
LEDGER_EVENTS = ledger.ENTRY
PLACE_COMMAND = venue.PLACE
CANCEL_COMMAND = venue.CANCEL
EXECUTION_REPORTS = venue.EXECUTION_REPORT
EXECUTION_REPORTS_DLQ = venue.EXECUTION_REPORT_DLQ


@dataclass(frozen=True)
class OutboxMessage:
    """One message to publish; `key` is the order id so one order's messages stay in order.

    Commands go to the Celery queue in `destination` (venue.<VENUE>); events to Kafka `topic`.
    `payload` is the topic's contract struct (plain dicts are converted to it, and checked);
    `Outbox.write` checks it again as a consumer would decode it, so a message that breaks its
    contract is never written (contracts.registry.Refused, raised in the transaction).
    """

    message_id: str
    topic: str
    key: str
    payload: Payload
    created_at: datetime
    destination: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "payload", convert(self.topic, self.payload))

    @property
    def is_command(self) -> bool:
        return self.topic.startswith("cmd.")


@dataclass
class Outbox:
    """The messages of one transaction, numbered in the order they were written."""

    tr: Transaction
    written: list[OutboxMessage] = field(default_factory=list)

    def write(self, message: OutboxMessage) -> None:
        check(message.topic, message.payload)
        key = MESSAGES.pack_with_versionstamp((versionstamp(self.tr),))
        self.tr.set_versionstamped_key(key, codec.encode(message))
        if not self.written:
            self.tr.add(SIGNAL, 1)  # several Outbox objects in one transaction add more: fine
        self.written.append(message)


def read_after(
    tr: Transaction, after: bytes | None, limit: int, *, through: bytes | None = None
) -> list[tuple[bytes, OutboxMessage]]:
    """Up to `limit` messages after the row `after` (up to `through`), oldest first."""
    rng = MESSAGES.range()
    begin = after + b"\x00" if after else rng.start
    end = through + b"\x00" if through else rng.stop
    rows = tr.get_range(begin, end, limit=limit)
    return [(k, _row_message(v)) for k, v in rows]


class _Row(msgspec.Struct, frozen=True):
    """An outbox row as stored: the payload is decoded as its topic's struct (`_row_message`)."""

    message_id: str
    topic: str
    key: str
    payload: msgspec.Raw
    created_at: datetime
    destination: str = ""


def _row_message(data: bytes) -> OutboxMessage:
    row = codec.decode(data, _Row)
    payload: Any = msgspec.json.decode(row.payload, type=struct_of(row.topic))
    return OutboxMessage(
        row.message_id, row.topic, row.key, payload, row.created_at, row.destination
    )


def prune(tr: Transaction, published_through: bytes | None, before: datetime, limit: int) -> int:
    """Clear up to `limit` of the oldest rows that were published and are older than `before`.

    Returns how many were cleared; fewer than `limit` means nothing more is due yet.
    """
    if published_through is None:
        return 0
    cleared = 0
    for key, message in read_after(tr, None, limit, through=published_through):
        if message.created_at >= before:
            break  # commit order: what follows is (about) as recent
        tr.clear(key)
        cleared += 1
    return cleared


@dataclass(frozen=True)
class Replay:
    """Events of rows after `after` up to `through` (the cursor when the loss was seen) go again."""

    through: bytes
    after: bytes | None = None


def replay(tr: Transaction, name: str) -> Replay | None:
    data = tr.get(REPLAY.pack((name,)))
    return None if data is None else codec.decode(data, Replay)


def start_replay(tr: Transaction, name: str, through: bytes | None) -> None:
    """Kafka lost what it acknowledged: publish every retained event again, from the start."""
    tr.clear_range(*_marks_range(name))
    if through is None:
        tr.clear(REPLAY.pack((name,)))
    else:
        tr.set(REPLAY.pack((name,)), codec.encode(Replay(through)))


def advance_replay(tr: Transaction, name: str, state: Replay, last: bytes | None) -> None:
    if last is None or last >= state.through:
        tr.clear(REPLAY.pack((name,)))
    else:
        tr.set(REPLAY.pack((name,)), codec.encode(Replay(state.through, last)))


Offsets = Mapping[tuple[str, int], int]


def marks(tr: Transaction, name: str) -> dict[tuple[str, int], int]:
    """The last offset Kafka acknowledged per (topic, partition) to publisher `name`."""
    return {
        (MARK.unpack(k)[1], MARK.unpack(k)[2]): codec.decode(v, int)
        for k, v in tr.get_range(*_marks_range(name))
    }


def record_marks(tr: Transaction, name: str, delivered: Offsets) -> bool:
    """Keep the offsets just acknowledged; False when one is not above the last one kept
    (offsets only grow, so the broker has lost its log)."""
    for (topic, partition), offset in delivered.items():
        key = MARK.pack((name, topic, partition))
        before = tr.get(key)
        if before is not None and offset <= codec.decode(before, int):
            return False
        tr.set(key, codec.encode(offset))
    return True


def _marks_range(name: str) -> tuple[bytes, bytes]:
    rng = MARK.range((name,))
    return rng.start, rng.stop


def cursor(tr: Transaction, name: str) -> bytes | None:
    return tr.get(CURSOR.pack((name,)))


def advance(tr: Transaction, name: str, key: bytes) -> None:
    tr.set(CURSOR.pack((name,)), key)
