"""Kafka clients as the platform uses them: an idempotent producer, plain consumers, topics."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from confluent_kafka import Consumer, KafkaError, KafkaException, Producer
from confluent_kafka.admin import AdminClient
from confluent_kafka.cimpl import NewTopic

log = logging.getLogger(__name__)

PARTITIONS = 4


def bootstrap_servers() -> str:
    servers = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "")
    if not servers:
        raise RuntimeError("KAFKA_BOOTSTRAP_SERVERS is not set")
    return servers


def producer(**overrides: Any) -> Producer:
    """Idempotent, acks=all: a retried send is written once per partition."""
    config = {
        "bootstrap.servers": bootstrap_servers(),
        "enable.idempotence": True,
        "acks": "all",
        "linger.ms": 1,
        "message.timeout.ms": 30_000,
        **overrides,
    }
    return Producer(config)


def _is_fatal(error: KafkaError) -> bool:
    # A send refused after the fatal error carries the code _FATAL without the fatal flag.
    return bool(error.code() == KafkaError._FATAL or error.fatal())


def _is_stuck(error: KafkaError) -> bool:
    """A delivery that timed out: after a broker restarted without its log, the idempotent
    producer can go on sending under a producer id the new broker does not know (Tansu answers
    UNKNOWN_PRODUCER_ID, not fatal to librdkafka), so every later message times out too."""
    return bool(error.code() == KafkaError._MSG_TIMED_OUT)


class RecreatingProducer:
    """The idempotent producer, made again after a fatal error.

    librdkafka's idempotent producer cannot go on after a fatal error (UNKNOWN_PRODUCER_ID or
    OUT_OF_ORDER_SEQUENCE_NUMBER once a broker lost its log): what was queued fails with that
    error, and the next `produce` goes to a new producer. Callers resend what failed. A
    delivery that timed out makes a new producer too (`_is_stuck`): a new one asks the broker
    for a new producer id, which the old one never does again.
    """

    def __init__(
        self, make: Callable[..., Producer] | None = None, config: Mapping[str, Any] | None = None
    ) -> None:
        self._make = make or producer
        self._overrides = dict(config or {})  # librdkafka settings over `producer()`'s
        self._fatal: KafkaError | None = None
        self._errors: list[KafkaError] = []
        self.recreated = 0
        self._producer = self._new()

    def _new(self) -> Producer:
        return self._make(error_cb=self._note, **self._overrides)

    def _note(self, error: KafkaError) -> None:
        if _is_fatal(error):
            if self._fatal is None:
                log.error("Kafka producer hit a fatal error: %s; it will be recreated", error)
            self._fatal = error
        elif _is_stuck(error):
            if self._fatal is None:
                log.warning("Kafka producer: %s; it will be recreated", error)
            self._fatal = error
        else:
            log.info("Kafka producer: %s", error)

    def _recreate_if_fatal(self) -> None:
        if self._fatal is None:
            return
        self._producer = self._new()  # the old one is dropped: its queue failed already
        self._fatal = None
        self.recreated += 1

    def produce(
        self, topic: str, *, on_delivery: Callable[..., Any] | None = None, **kw: Any
    ) -> None:
        """Queue one message; its delivery error, if any, is kept for `take_errors`."""

        def delivered(error: KafkaError | None, message: Any) -> None:
            if error is not None:
                self._errors.append(error)
                self._note(error)
            if on_delivery is not None:
                on_delivery(error, message)

        self._recreate_if_fatal()
        try:
            self._producer.produce(topic, on_delivery=delivered, **kw)
        except KafkaException as error:
            if not (isinstance(error.args[0], KafkaError) and _is_fatal(error.args[0])):
                raise
            self._note(error.args[0])
            self._recreate_if_fatal()
            self._producer.produce(topic, on_delivery=delivered, **kw)

    def poll(self, timeout_s: float = 0) -> int:
        return int(self._producer.poll(timeout_s))

    def flush(self, timeout_s: float) -> int:
        """Wait for every acknowledgement; returns how many are still waiting."""
        left = int(self._producer.flush(timeout_s))
        self._recreate_if_fatal()
        return left

    def take_errors(self) -> list[KafkaError]:
        """The delivery errors since the last call."""
        errors, self._errors = self._errors, []
        return errors


def consumer(group_id: str, **overrides: Any) -> Consumer:
    """Offsets are committed by the caller, after its effect is durable."""
    config = {
        "bootstrap.servers": bootstrap_servers(),
        "group.id": group_id,
        "enable.auto.commit": False,
        "auto.offset.reset": "earliest",
        "enable.partition.eof": False,
        # A short session: a crashed member is replaced within seconds, and a group's first
        # join is quick (the broker waits up to the session timeout for members to join).
        "session.timeout.ms": int(os.environ.get("KAFKA_SESSION_TIMEOUT_MS", 6000)),
        "heartbeat.interval.ms": 500,
        # Fills travel through here: don't let an idle fetch sit on the broker for long.
        "fetch.wait.max.ms": 10,
        **overrides,
    }
    return Consumer(config)


def ensure_topics(
    names: Iterable[str], partitions: int = PARTITIONS, timeout_s: float = 15
) -> None:
    """Create the topics that are missing; an existing topic is fine."""
    admin = AdminClient({"bootstrap.servers": bootstrap_servers()})
    existing = set(admin.list_topics(timeout=timeout_s).topics)
    missing = [
        NewTopic(n, num_partitions=partitions, replication_factor=1)
        for n in names
        if n not in existing
    ]
    if not missing:
        return
    for future in admin.create_topics(missing, operation_timeout=timeout_s).values():
        try:
            future.result(timeout=timeout_s)
        except KafkaException as error:
            if "TOPIC_ALREADY_EXISTS" not in str(error):
                raise
