"""Where the outbox publisher sends: events to Kafka, commands to the venues' Celery queues.

Each sink blocks until the broker acknowledged every message, or raises: the publisher
advances its cursor only after both returned.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from confluent_kafka import KafkaError, Producer

from trading.outbox import OutboxMessage
from trading.publisher import envelope

COMMAND_TASKS = {
    "cmd.venue.place.v1": "venues.place_attempt",
    "cmd.venue.cancel.v1": "venues.cancel_attempt",
}


class KafkaEventSink:
    def __init__(self, producer: Producer, flush_timeout_s: float = 30) -> None:
        self.producer = producer
        self.flush_timeout_s = flush_timeout_s

    def __call__(self, messages: Sequence[OutboxMessage]) -> None:
        errors: list[KafkaError] = []

        def delivered(error: KafkaError | None, _: Any) -> None:
            if error is not None:
                errors.append(error)

        for message in messages:
            self.producer.produce(
                message.topic,
                key=message.key.encode(),
                value=envelope(message),
                headers={"message_id": message.message_id.encode()},
                on_delivery=delivered,
            )
            self.producer.poll(0)
        if self.producer.flush(self.flush_timeout_s) or errors:
            raise RuntimeError(f"Kafka did not acknowledge every event: {errors[:3]}")


class CeleryCommandSink:
    """A command becomes a task on queue venue.<VENUE>; the task id is the message id."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def __call__(self, messages: Sequence[OutboxMessage]) -> None:
        for message in messages:
            self.app.send_task(
                COMMAND_TASKS[message.topic],
                args=[envelope(message).decode()],
                queue=message.destination,
                task_id=message.message_id,
                headers={"sent_at": time.time()},  # ops reads the oldest waiting message's age
            )
