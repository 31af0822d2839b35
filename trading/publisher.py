"""The outbox publisher: outbox rows, in commit order, to Kafka (events) and Celery (commands).

Delivery: at least once per message id, in commit order per order id. The cursor moves only
after the broker acknowledged, so a publisher killed at any point republishes from its cursor
and idempotent consumers see each message id once. One publisher is active at a time: it
holds a lease in the store, renewed every batch; a standby takes over when it lapses.
It is woken by commits (a watch on the outbox's signal key), not by a sleep loop.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import msgspec

from infra.store.api import Database, Transaction, run
from trading import codec
from trading import outbox as ob

log = logging.getLogger(__name__)

LEASE = ob.ROOT["lease"]  # (name) -> Lease


@dataclass(frozen=True)
class Lease:
    holder: str
    expires_at_ms: int


def envelope(message: ob.OutboxMessage) -> bytes:
    """The wire form of every event and command."""
    return msgspec.json.encode(
        {
            "message_id": message.message_id,
            "type": message.topic,
            "key": message.key,
            "created_at": message.created_at.isoformat(),
            "payload": message.payload,
        }
    )


def take_lease(tr: Transaction, name: str, holder: str, now_ms: int, ttl_ms: int) -> bool:
    """Hold or renew the lease; False while another holder's lease has not expired."""
    key = LEASE.pack((name,))
    data = tr.get(key)
    if data is not None:
        lease = codec.decode(data, Lease)
        if lease.holder != holder and lease.expires_at_ms > now_ms:
            return False
    tr.set(key, codec.encode(Lease(holder, now_ms + ttl_ms)))
    return True


def _advance_if_holder(tr: Transaction, name: str, holder: str, last_key: bytes) -> bool:
    data = tr.get(LEASE.pack((name,)))
    if data is None or codec.decode(data, Lease).holder != holder:
        return False  # lost the lease mid-batch: the new holder republishes from its cursor
    ob.advance(tr, name, last_key)
    return True


Sink = Callable[[Sequence[ob.OutboxMessage]], None]


class Publisher:
    """Moves outbox rows to `send_events` / `send_commands`; each must block until acked."""

    def __init__(
        self,
        db: Database,
        *,
        send_events: Sink,
        send_commands: Sink,
        name: str = "outbox",
        batch_size: int = 500,
        lease_ttl_s: float = 5.0,
    ) -> None:
        self.db = db
        self.send_events = send_events
        self.send_commands = send_commands
        self.name = name
        self.holder = f"{name}-{uuid.uuid4().hex[:12]}"
        self.batch_size = batch_size
        self.lease_ttl_ms = int(lease_ttl_s * 1000)

    def run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            if not self.publish_batch():
                self.db.watch(ob.SIGNAL, timeout_s=self.lease_ttl_ms / 3000)

    def publish_batch(self) -> int:
        """Publish what is waiting (one batch); returns how many messages went out."""
        now_ms = int(time.time() * 1000)
        if not run(
            self.db, lambda tr: take_lease(tr, self.name, self.holder, now_ms, self.lease_ttl_ms)
        ):
            return 0
        rows = run(
            self.db,
            lambda tr: ob.read_after(tr, ob.cursor(tr, self.name), self.batch_size),
        )
        if not rows:
            return 0
        messages = [m for _, m in rows]
        # Commands and events of one batch keep their commit order within each destination.
        self.send_commands([m for m in messages if m.is_command])
        self.send_events([m for m in messages if not m.is_command])
        last = rows[-1][0]
        if not run(self.db, lambda tr: _advance_if_holder(tr, self.name, self.holder, last)):
            log.warning("%s lost the outbox lease; a standby publisher goes on", self.holder)
            return 0
        return len(rows)
