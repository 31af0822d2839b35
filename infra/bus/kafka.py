"""Kafka clients as the platform uses them: an idempotent producer, plain consumers, topics."""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any

from confluent_kafka import Consumer, KafkaException, Producer
from confluent_kafka.admin import AdminClient, NewTopic

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
