"""Where the outbox publisher sends: events to Kafka, commands to the venues' Celery queues.

Each sink blocks until the broker acknowledged every message, or raises: the publisher
advances its cursor only after both returned.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from celery import Celery
from confluent_kafka import Consumer, KafkaError, KafkaException, TopicPartition

from infra.bus import kafka
from trading.outbox import OutboxMessage
from trading.publisher import envelope

log = logging.getLogger(__name__)

WATCH_TIMEOUT_S = 5
COMMAND_TASKS = {
    "cmd.venue.place.v1": "venues.place_attempt",
    "cmd.venue.cancel.v1": "venues.cancel_attempt",
}


class KafkaEventSink:
    """Events to Kafka; returns the offsets Kafka gave, and can tell a broker that lost its log."""

    def __init__(self, producer: Any, flush_timeout_s: float = 30) -> None:
        self.producer = producer  # a kafka.RecreatingProducer: a fatal error makes a new one
        self.flush_timeout_s = flush_timeout_s
        self._watcher: Consumer | None = None

    def __call__(self, messages: Sequence[OutboxMessage]) -> dict[tuple[str, int], int]:
        errors: list[KafkaError] = []
        offsets: dict[tuple[str, int], int] = {}
        acknowledged = [0]

        def delivered(error: KafkaError | None, message: Any) -> None:
            if error is not None:
                errors.append(error)
                return
            acknowledged[0] += 1
            where = (message.topic(), message.partition())
            offsets[where] = max(offsets.get(where, -1), message.offset())

        for message in messages:
            self.producer.produce(
                message.topic,
                key=message.key.encode(),
                value=envelope(message),
                headers={"message_id": message.message_id.encode()},
                on_delivery=delivered,
            )
            self.producer.poll(0)
        # A producer made again after a fatal error mid-batch drops what the old one still
        # held, with no delivery report: only an acknowledgement per message counts as sent.
        if self.producer.flush(self.flush_timeout_s) or errors or acknowledged[0] < len(messages):
            if any(e.code() == KafkaError.UNKNOWN_TOPIC_OR_PART for e in errors):
                kafka.ensure_topics({m.topic for m in messages})  # a new broker: topics gone
            raise RuntimeError(f"Kafka did not acknowledge every event: {errors[:3]}")
        return offsets

    def close(self) -> None:
        """Leave the broker: the log watcher's consumer would otherwise reconnect until exit."""
        if self._watcher is not None:
            self._watcher.close()
            self._watcher = None

    def lost_log(self, recorded: Mapping[tuple[str, int], int]) -> bool:
        """True when a topic is gone or a partition Kafka acknowledged messages on is empty (a
        broker restarted without its log); False when unsure (broker away).

        A partition that holds something is left to the delivery check (`record_marks`): the
        first new offset on it is at or below the last one recorded. (Tansu's high watermark
        can be below the last offset it gave, so the watermark is only trusted when it is 0.)
        """
        try:
            if self._watcher is None:
                self._watcher = kafka.consumer(f"outbox-watch-{uuid.uuid4().hex[:8]}")
            present = self._watcher.list_topics(timeout=WATCH_TIMEOUT_S).topics
            if any(topic not in present for topic, _ in recorded):
                kafka.ensure_topics({topic for topic, _ in recorded})
                return True
            for (topic, partition), offset in recorded.items():
                _, high = self._watcher.get_watermark_offsets(
                    TopicPartition(topic, partition), timeout=WATCH_TIMEOUT_S
                )
                if high == 0 <= offset:
                    return True
        except KafkaException as error:
            log.info("cannot check the broker's log now: %s", error)
        return False


class CeleryCommandSink:
    """A command becomes a task on queue venue.<VENUE>; the task id is the message id."""

    def __init__(self, app: Celery) -> None:
        self.app = app

    def __call__(self, messages: Sequence[OutboxMessage]) -> None:
        if not messages:
            return
        with self.app.producer_or_acquire() as producer:  # one connection for the batch
            for message in messages:
                self.app.send_task(
                    COMMAND_TASKS[message.topic],
                    args=[envelope(message).decode()],
                    queue=message.destination,
                    task_id=message.message_id,
                    headers={"sent_at": time.time()},  # ops reads the oldest message's age
                    producer=producer,
                )
