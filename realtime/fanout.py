"""Kafka -> websocket fanout: each gateway process reads every partition of the order topic.

No consumer group (no rebalance on the hot path): one reader thread per process assigns every
partition of `evt.trading.order.v1` at its end (the high watermark: a client reads snapshots
first, so history is not needed) and hands batches of deltas to the event loop, which routes
each to the connections of its trader (an in-process registry trader id -> connections).

Delivery to a connection: at most once per (order, seq), and per order in increasing seq: a
redelivered delta (at-least-once publishing), or one older than a delta already routed, is
dropped here, once for the whole process. A gap in seq means "fetch the snapshot". A reader
that fails reconnects and resumes where it stopped. A batch is handed over only after the
previous one has been routed and every connection's sender has run, so the reader never runs
ahead of the event loop: what waits for a client waits in that connection's bounded queue.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Protocol

from confluent_kafka import Consumer, KafkaException, TopicPartition

from contracts.envelope import Refused as NotAContract
from contracts.trading import ORDER as ORDER_EVENTS
from infra.bus import kafka
from infra.bus.consume import Backoff, Message, Refused, settle
from realtime.protocol import Delta, decode_delta

log = logging.getLogger(__name__)

BATCH_MAX = 100  # deltas per hand-over; a connection's queue holds at least this many
POLL_S = 0.05
ORDERS_REMEMBERED = 100_000  # orders whose last routed seq is kept for dedupe
HANDOVER_WAIT_S = 1.0
METADATA_TIMEOUT_S = 10


class Connection(Protocol):
    def deliver(self, delta: Delta) -> None: ...


class Fanout:
    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.by_trader: dict[str, set[Connection]] = {}
        self.ready = asyncio.Event()  # set once every partition is assigned
        self.last_seq: OrderedDict[str, int] = OrderedDict()
        self._next_offsets: dict[int, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="ws-fanout", daemon=True)
        self._thread.start()

    def add(self, trader_id: str, connection: Connection) -> None:
        self.by_trader.setdefault(trader_id, set()).add(connection)

    def remove(self, trader_id: str, connection: Connection) -> None:
        connections = self.by_trader.get(trader_id)
        if connections is not None:
            connections.discard(connection)
            if not connections:
                del self.by_trader[trader_id]

    def stop(self, wait_s: float = 0) -> None:
        """The reader stops within POLL_S; `wait_s` > 0 waits that long for it."""
        self._stop.set()
        if wait_s > 0:
            self._thread.join(wait_s)

    # --- on the event loop ---

    def _fresh(self, delta: Delta) -> bool:
        """False for a delta at or below the last seq routed for its order."""
        last = self.last_seq.get(delta.order_id)
        if last is not None and delta.seq <= last:
            return False
        self.last_seq[delta.order_id] = delta.seq
        self.last_seq.move_to_end(delta.order_id)
        if len(self.last_seq) > ORDERS_REMEMBERED:
            self.last_seq.popitem(last=False)
        return True

    async def _route(self, deltas: list[Delta]) -> None:
        for delta in deltas:
            if self._fresh(delta):
                for connection in list(self.by_trader.get(delta.trader_id, ())):
                    try:
                        connection.deliver(delta)
                    except Exception:  # one broken connection must not stop the others
                        log.exception("ws-gateway fanout: delivering %s", delta.order_id)
        await asyncio.sleep(0)  # the senders woken above run before the next batch

    # --- on the reader thread ---

    def _run(self) -> None:
        while not self._stop.is_set() and not self.loop.is_closed():
            try:
                self._read()
            except Exception as error:  # noqa: BLE001 - the gateway lives on; retry
                log.warning("ws-gateway fanout: %s; reconnecting", error)
                self._stop.wait(1)

    def _read(self) -> None:
        kafka.ensure_topics([ORDER_EVENTS])
        # Positions are given explicitly (the ends, or where the last reader stopped); one out of
        # range means the broker lost its log, and the new log (the publisher replays it) is
        # read from its start: deltas already routed are dropped by the seq dedupe.
        consumer = kafka.consumer("ws-gateway", **{"auto.offset.reset": "earliest"})
        try:
            consumer.assign(self._positions(consumer))
            self.loop.call_soon_threadsafe(self.ready.set)
            while not self._stop.is_set():
                first = consumer.poll(POLL_S)  # consume(n, t) would wait t for n messages
                if first is None:
                    continue
                messages, offsets = positioned([first, *consumer.consume(BATCH_MAX - 1, 0)])
                deltas = decode_deltas(messages)
                if deltas:
                    self._hand_over(deltas)
                self._next_offsets.update(offsets)  # a reader that restarts goes on from here
        finally:
            consumer.close()

    def _positions(self, consumer: Consumer) -> list[TopicPartition]:
        """Where the last reader stopped, or the end of each partition."""
        topic = consumer.list_topics(ORDER_EVENTS, timeout=METADATA_TIMEOUT_S).topics[ORDER_EVENTS]
        if topic.error is not None or not topic.partitions:
            raise KafkaException(topic.error or f"{ORDER_EVENTS} has no partitions yet")
        positions = []
        for number in sorted(topic.partitions):
            offset = self._next_offsets.get(number)
            if offset is None:
                partition = TopicPartition(ORDER_EVENTS, number)
                _, offset = consumer.get_watermark_offsets(partition, timeout=METADATA_TIMEOUT_S)
            positions.append(TopicPartition(ORDER_EVENTS, number, offset))
        return positions

    def _hand_over(self, deltas: list[Delta]) -> None:
        future = asyncio.run_coroutine_threadsafe(self._route(deltas), self.loop)
        while not self._stop.is_set() and not self.loop.is_closed():
            try:
                future.result(HANDOVER_WAIT_S)
                return
            except TimeoutError:
                continue


def positioned(batch: Sequence[Message]) -> tuple[list[Message], dict[int, int]]:
    """The batch's messages, and the next offset to read in each partition they came from.

    An error event (a partition's end, a broker error) is logged and left out: it carries no
    message, and its partition or offset may be None, which must not end the reader.
    """
    messages: list[Message] = []
    offsets: dict[int, int] = {}
    for message in batch:
        partition, offset = message.partition(), message.offset()
        if message.error() or partition is None or offset is None:
            log.warning("ws-gateway fanout: %s", message.error() or "a message with no position")
            continue
        offsets[partition] = offset + 1
        messages.append(message)
    return messages, offsets


def decode_deltas(messages: Sequence[Message]) -> list[Delta]:
    """The deltas of a batch, through the consume loop's poison step: a message that is not a
    delta, or that decoding fails on, is skipped with a log line (every gateway process reads
    every message, so it is the projector's consumer that dead-letters it, once)."""
    deltas: list[Delta] = []

    def decode(batch: Sequence[Message]) -> Refused:
        found: list[Delta] = []
        refused: Refused = []
        for message in batch:
            try:
                found.append(decode_delta(message.value() or b""))
            except NotAContract as error:
                refused.append((message, f"not an order delta: {error}"))
        deltas.extend(found)
        return refused

    for letter in settle(decode, messages, Backoff()):
        log.warning(
            "ws-gateway fanout: skipping %s/%s: %s",
            letter.message.partition(),
            letter.message.offset(),
            letter.reason,
        )
    return deltas


_fanout: Fanout | None = None


def fanout() -> Fanout:
    """The process's fanout, started by the first connection (on the server's event loop)."""
    global _fanout
    loop = asyncio.get_running_loop()
    if _fanout is None or _fanout.loop is not loop:
        if _fanout is not None:
            _fanout.stop()  # its loop is gone (in-process tests): one reader per process
        _fanout = Fanout(loop)
    return _fanout
