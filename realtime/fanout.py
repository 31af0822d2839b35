"""Kafka -> websocket fanout: each gateway process reads every partition of the order topic.

No consumer group (no rebalance on the hot path): the reader assigns all partitions at their
high watermarks and hands each delta to the event loop, which routes it to the connections
of the order's trader. Delivery: at most once per (order, seq) per connection; a client
that sees a gap fetches the snapshot. A connection whose queue is full is closed.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections import defaultdict
from typing import Any, Protocol

from confluent_kafka import TopicPartition

from infra.bus import kafka
from trading.outbox import ORDER_EVENTS

log = logging.getLogger(__name__)


class Connection(Protocol):
    def deliver(self, payload: dict[str, Any]) -> None: ...


class Fanout:
    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.by_trader: dict[str, set[Connection]] = defaultdict(set)
        self.ready = asyncio.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._read, name="ws-fanout", daemon=True)
        self._thread.start()

    def add(self, trader_id: str, connection: Connection) -> None:
        self.by_trader[trader_id].add(connection)

    def remove(self, trader_id: str, connection: Connection) -> None:
        self.by_trader[trader_id].discard(connection)

    def _dispatch(self, payload: dict[str, Any]) -> None:
        for connection in list(self.by_trader.get(payload.get("trader_id", ""), ())):
            connection.deliver(payload)

    def _read(self) -> None:
        while not self._stop.is_set():
            try:
                self._consume()
            except Exception as error:  # noqa: BLE001 - keep the gateway alive, retry
                log.warning("fanout reader: %s; retrying", error)
                self._stop.wait(1)

    def _consume(self) -> None:
        kafka.ensure_topics([ORDER_EVENTS])
        consumer = kafka.consumer("ws-gateway-unused", **{"enable.auto.offset.store": False})
        try:
            metadata = consumer.list_topics(ORDER_EVENTS, timeout=10).topics[ORDER_EVENTS]
            partitions = []
            for number in metadata.partitions:
                _, high = consumer.get_watermark_offsets(
                    TopicPartition(ORDER_EVENTS, number), timeout=10
                )
                partitions.append(TopicPartition(ORDER_EVENTS, number, high))
            consumer.assign(partitions)
            self.loop.call_soon_threadsafe(self.ready.set)
            while not self._stop.is_set():
                for message in consumer.consume(500, 0.05):
                    if message.error():
                        continue
                    try:
                        envelope = json.loads(message.value())
                        payload = envelope["payload"]
                    except (ValueError, KeyError, TypeError):
                        log.warning("fanout: unreadable message at %s", message.offset())
                        continue
                    self.loop.call_soon_threadsafe(self._dispatch, payload)
        finally:
            consumer.close()


_fanouts: dict[int, Fanout] = {}


def fanout() -> Fanout:
    """The process's fanout (one per event loop), started on first use."""
    loop = asyncio.get_running_loop()
    if id(loop) not in _fanouts:
        _fanouts[id(loop)] = Fanout(loop)
    return _fanouts[id(loop)]
