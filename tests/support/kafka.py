"""A real Kafka-protocol broker for tests (Tansu, via infra.bus.local_broker), and writing to it.

Use the session fixture from a conftest:

    from tests.support.kafka import kafka_bootstrap  # noqa: F401

It yields "127.0.0.1:PORT", points KAFKA_BOOTSTRAP_SERVERS at it for the session (so
`infra.bus.kafka` helpers reach it) and terminates the broker after.
"""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import Producer

from infra.bus import local_broker
from trading.outbox import OutboxMessage
from trading.publisher import envelope

STOP_TIMEOUT_S = 10
FLUSH_TIMEOUT_S = 15


@contextmanager
def running_broker(log_path: Path) -> Iterator[str]:
    """A memory-only broker on a free port for the duration of the block; yields its address."""
    port = local_broker.free_port()
    with open(log_path, "wb") as log:
        broker = local_broker.start(port, log=log)
        try:
            yield f"127.0.0.1:{port}"
        finally:
            broker.terminate()
            try:
                broker.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                broker.kill()
                broker.wait(STOP_TIMEOUT_S)


@pytest.fixture(scope="session")
def kafka_bootstrap(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real broker for the session; KAFKA_BOOTSTRAP_SERVERS points at it meanwhile."""
    log_path = tmp_path_factory.mktemp("kafka") / "broker.log"
    with running_broker(log_path) as bootstrap:
        previous = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
        os.environ["KAFKA_BOOTSTRAP_SERVERS"] = bootstrap
        try:
            yield bootstrap
        finally:
            if previous is None:
                os.environ.pop("KAFKA_BOOTSTRAP_SERVERS", None)
            else:
                os.environ["KAFKA_BOOTSTRAP_SERVERS"] = previous


@pytest.fixture
def restartable_broker(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[[], None]]:
    """A broker of the test's own on a fixed port (KAFKA_BOOTSTRAP_SERVERS points at it);
    calling what it yields kills it (SIGKILL) and starts a new, empty one on the same port."""
    port = local_broker.free_port()
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", f"127.0.0.1:{port}")
    with open(tmp_path / "broker.log", "ab") as log:
        processes = [local_broker.start(port, log=log)]

        def restart() -> None:
            os.killpg(processes[-1].pid, signal.SIGKILL)
            processes[-1].wait(STOP_TIMEOUT_S)
            processes.append(local_broker.start(port, log=log))

        try:
            yield restart
        finally:
            for process in processes:
                if process.poll() is None:
                    process.terminate()
                    process.wait(STOP_TIMEOUT_S)


class EnvelopeWriter:
    """Writes envelopes exactly as trading.publisher does, with its producer settings."""

    def __init__(self, bootstrap: str) -> None:
        self._producer = Producer(
            {
                "bootstrap.servers": bootstrap,
                "enable.idempotence": True,
                "acks": "all",
                "linger.ms": 1,
            }
        )
        self.failures: list[str] = []

    def publish(
        self,
        topic: str,
        key: str,
        payload: Any,
        message_id: str,
        partition: int | None = None,
    ) -> None:
        """Queue one envelope (`flush` sends what is queued and fails on any refusal); the
        payload is the topic's contract struct, or plain dicts checked against it."""
        message = OutboxMessage(message_id, topic, key, payload, datetime.now(UTC))
        self._producer.produce(
            topic,
            key=key.encode(),
            value=envelope(message),
            partition=-1 if partition is None else partition,  # -1: librdkafka's partitioner
            on_delivery=self._delivered,
        )
        self._producer.poll(0)

    def flush(self, timeout_s: float = FLUSH_TIMEOUT_S) -> None:
        left = self._producer.flush(timeout_s)
        if left or self.failures:
            raise AssertionError(f"not delivered: {left} left, failures {self.failures[:3]}")

    def close(self) -> None:
        """Flush, then let the producer go (before the broker does: no reconnect noise)."""
        self.flush()
        self._producer.close()

    def _delivered(self, error: Any, message: Any) -> None:
        if error is not None:
            self.failures.append(str(error))
