"""The outbox: every side effect of trading-core, written in the same transaction as the change.

Rows are keyed by versionstamp, so the publisher reads them in commit order; a counter key
is bumped with an atomic add in every writing transaction so the publisher can watch it
instead of polling.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from infra.store.api import Transaction
from infra.store.keys import Subspace, versionstamp
from trading import codec

ROOT = Subspace(("outbox",))
MESSAGES = ROOT["message"]  # (versionstamp) -> OutboxMessage
CURSOR = ROOT["cursor"]  # (publisher name) -> last published key
SIGNAL = ROOT.pack(("signal",))  # bumped by every transaction that writes a message

# Topics: part of the public contract (DESIGN.md "Messages").
ORDER_EVENTS = "evt.trading.order.v1"
FILL_EVENTS = "evt.trading.fill.v1"
LEDGER_EVENTS = "evt.ledger.entry.v1"
PLACE_COMMAND = "cmd.venue.place.v1"
CANCEL_COMMAND = "cmd.venue.cancel.v1"
EXECUTION_REPORTS = "evt.venue.execution.report.v1"
EXECUTION_REPORTS_DLQ = "evt.venue.execution.report.v1.dlq"


@dataclass(frozen=True)
class OutboxMessage:
    """One message to publish; `key` is the order id so one order's messages stay in order.

    Commands go to the Celery queue in `destination` (venue.<VENUE>); events to Kafka `topic`.
    """

    message_id: str
    topic: str
    key: str
    payload: dict[str, Any]
    created_at: datetime
    destination: str = ""

    @property
    def is_command(self) -> bool:
        return self.topic.startswith("cmd.")


@dataclass
class Outbox:
    """The messages of one transaction, numbered in the order they were written."""

    tr: Transaction
    written: list[OutboxMessage] = field(default_factory=list)

    def write(self, message: OutboxMessage) -> None:
        key = MESSAGES.pack_with_versionstamp((versionstamp(self.tr),))
        self.tr.set_versionstamped_key(key, codec.encode(message))
        if not self.written:
            self.tr.add(SIGNAL, 1)  # several Outbox objects in one transaction add more: fine
        self.written.append(message)


def read_after(
    tr: Transaction, after: bytes | None, limit: int
) -> list[tuple[bytes, OutboxMessage]]:
    """Up to `limit` messages committed after the row `after`, oldest first."""
    rng = MESSAGES.range()
    begin = after + b"\x00" if after else rng.start
    rows = tr.get_range(begin, rng.stop, limit=limit)
    return [(k, codec.decode(v, OutboxMessage)) for k, v in rows]


def cursor(tr: Transaction, name: str) -> bytes | None:
    return tr.get(CURSOR.pack((name,)))


def advance(tr: Transaction, name: str, key: bytes) -> None:
    tr.set(CURSOR.pack((name,)), key)
