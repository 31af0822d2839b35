"""The outbox publisher: outbox rows, in commit order, to Kafka (events) and Celery (commands).

Delivery: at least once per message id, in commit order per order id. The cursor moves only
after the broker acknowledged, so a publisher killed at any point republishes from its cursor
and idempotent consumers see each message id once. One publisher is active at a time: it
holds a lease in the store, renewed every batch; a standby takes over when it lapses.
It is woken by commits (a watch on the outbox's signal key), not by a sleep loop.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from contracts import registry
from infra.store.api import Database, Transaction, run
from kernel import codec
from trading import outbox as ob

log = logging.getLogger(__name__)

LEASE = ob.ROOT["lease"]  # (name) -> Lease


@dataclass(frozen=True)
class Lease:
    holder: str
    expires_at_ms: int


def envelope(message: ob.OutboxMessage) -> bytes:
    """The wire form of every event and command (contracts.registry: the envelope)."""
    return registry.encode(
        message.topic,
        message_id=message.message_id,
        key=message.key,
        created_at=message.created_at,
        payload=message.payload,
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


def _holds(tr: Transaction, name: str, holder: str) -> bool:
    data = tr.get(LEASE.pack((name,)))
    return data is not None and codec.decode(data, Lease).holder == holder


def _keep_marks(tr: Transaction, name: str, delivered: ob.Offsets, through: bytes) -> None:
    """Record Kafka's offsets; an offset at or below one recorded before means the broker lost
    its log, so every retained event up to `through` is published again."""
    if not ob.record_marks(tr, name, delivered):
        log.error("%s: Kafka acknowledged offsets it had already given: replaying events", name)
        ob.start_replay(tr, name, through)
        ob.record_marks(tr, name, delivered)


def _advance_if_holder(
    tr: Transaction, name: str, holder: str, last_key: bytes, delivered: ob.Offsets
) -> bool:
    if not _holds(tr, name, holder):
        return False  # lost the lease mid-batch: the new holder republishes from its cursor
    ob.advance(tr, name, last_key)
    _keep_marks(tr, name, delivered, last_key)
    return True


def _advance_replay(
    tr: Transaction, name: str, holder: str, state: ob.Replay, last: bytes | None, sent: ob.Offsets
) -> None:
    if not _holds(tr, name, holder) or ob.replay(tr, name) != state:
        return  # another holder, or the log was lost again meanwhile: that replay goes on
    ob.advance_replay(tr, name, state, last)
    _keep_marks(tr, name, sent, ob.cursor(tr, name) or state.through)


def _start_replay_at_cursor(tr: Transaction, name: str) -> None:
    ob.start_replay(tr, name, ob.cursor(tr, name))


# A sink blocks until every message is acknowledged (or raises); the event sink returns the
# offsets Kafka gave, per (topic, partition), so a broker that lost its log is noticed.
Sink = Callable[[Sequence[ob.OutboxMessage]], ob.Offsets | None]
# Given the recorded offsets, True when the broker no longer holds them (its log was lost).
LogCheck = Callable[[ob.Offsets], bool]

RETENTION_S = float(os.environ.get("OUTBOX_RETENTION_S", 24 * 3600))
PRUNE_EVERY_S = 60.0
PRUNE_BATCH = 500
PRUNE_BATCHES = 20  # at most this many transactions per round: a round stays short
CHECK_LOG_EVERY_S = 5.0
SINK_RETRY_S = 1.0


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
        check_log: LogCheck | None = None,
        retention_s: float = RETENTION_S,
    ) -> None:
        self.db = db
        self.send_events = send_events
        self.send_commands = send_commands
        self.name = name
        self.holder = f"{name}-{uuid.uuid4().hex[:12]}"
        self.batch_size = batch_size
        self.lease_ttl_ms = int(lease_ttl_s * 1000)
        self.check_log = check_log
        self.retention_s = retention_s
        self._next_check = self._next_prune = 0.0

    def run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                if self.publish_batch():
                    continue
                self._idle_work()
            except Exception as error:  # noqa: BLE001 - a broker away: the cursor did not move
                log.warning("%s: publishing failed (%s); again shortly", self.holder, error)
                stop.wait(SINK_RETRY_S)
                continue
            self.db.watch(ob.SIGNAL, timeout_s=self.lease_ttl_ms / 3000)

    def _idle_work(self) -> None:
        now = time.monotonic()
        if now >= self._next_check:
            self._next_check = now + CHECK_LOG_EVERY_S
            self.check_broker()
        if now >= self._next_prune:
            self._next_prune = now + PRUNE_EVERY_S
            self.prune()

    def publish_batch(self) -> int:
        """Publish what is waiting (one batch, and one batch of a replay); returns how many."""
        now_ms = int(time.time() * 1000)

        def begin(tr: Transaction) -> tuple[list[tuple[bytes, ob.OutboxMessage]], ob.Replay | None]:
            """The lease, the next rows and any replay, in one transaction."""
            if not take_lease(tr, self.name, self.holder, now_ms, self.lease_ttl_ms):
                return [], None
            rows = ob.read_after(tr, ob.cursor(tr, self.name), self.batch_size)
            return rows, ob.replay(tr, self.name)

        rows, state = run(self.db, begin)
        if not rows and state is None:
            return 0
        messages = [m for _, m in rows]
        # Commands and events of one batch keep their commit order within each destination.
        # Commands go first, before a replay and before the events: a venue command has a send
        # window (venues/recovery/timing.py) and must not wait behind a Kafka broker that is
        # away (if the events fail, the commands go again: a place sent twice is asked first).
        self.send_commands([m for m in messages if m.is_command])
        replayed = self._replay_batch(state)
        if not rows:
            return replayed
        delivered = self.send_events([m for m in messages if not m.is_command]) or {}
        last = rows[-1][0]
        if not run(
            self.db, lambda tr: _advance_if_holder(tr, self.name, self.holder, last, delivered)
        ):
            log.warning("%s lost the outbox lease; a standby publisher goes on", self.holder)
            return 0
        return replayed + len(rows)

    def _replay_batch(self, state: ob.Replay | None) -> int:
        """Events (never commands: Celery did not lose them) of the next replayed rows."""
        if state is None:
            return 0
        rows = run(
            self.db,
            lambda tr: ob.read_after(tr, state.after, self.batch_size, through=state.through),
        )
        events = [m for _, m in rows if not m.is_command]
        sent = (self.send_events(events) if events else None) or {}
        last = rows[-1][0] if rows else None
        log.info("%s: replayed %d events", self.name, len(events))
        run(self.db, lambda tr: _advance_replay(tr, self.name, self.holder, state, last, sent))
        if last is None:
            log.info("%s: replay done", self.name)
        return len(events)

    def check_broker(self) -> bool:
        """Ask the broker whether it still holds what it acknowledged; if not, replay."""
        if self.check_log is None:
            return False
        recorded = run(self.db, lambda tr: ob.marks(tr, self.name))
        if not recorded or not self.check_log(recorded):
            return False
        log.error("%s: the Kafka broker lost its log: replaying retained events", self.name)
        run(self.db, lambda tr: _start_replay_at_cursor(tr, self.name))
        return True

    def prune(self) -> int:
        """Clear published rows older than the retention window, in bounded transactions."""
        before = datetime.now(UTC) - timedelta(seconds=self.retention_s)
        cleared = 0
        for _ in range(PRUNE_BATCHES):
            n = run(
                self.db,
                lambda tr: ob.prune(tr, ob.cursor(tr, self.name), before, PRUNE_BATCH),
            )
            cleared += n
            if n < PRUNE_BATCH:
                break
        return cleared
