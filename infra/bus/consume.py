"""One consume loop for every Kafka consumer of the platform (see `infra/consumers.py`).

The handler gets a batch of messages and returns the ones it refuses with a reason; those
go to the consumer's dead-letter topic, then the batch's offsets are committed. Commit comes
last, so a crash replays the batch: every handler must be idempotent by message id.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from infra.bus import kafka

log = logging.getLogger(__name__)


class Message(Protocol):
    def key(self) -> bytes | None: ...
    def value(self) -> bytes | None: ...
    def topic(self) -> str | None: ...
    def partition(self) -> int | None: ...
    def offset(self) -> int | None: ...
    def error(self) -> object: ...


Refused = list[tuple[Message, str]]


@dataclass(frozen=True)
class ConsumerSpec:
    name: str
    topic: str
    group_id: str
    handle: Callable[[Sequence[Message]], Refused]
    dead_letter_topic: str
    batch_size: int = 500
    # More topics for the same handler (one consumer, one group): e.g. the back office's
    # projector reads the order, fill and ledger events and a dead-letter topic.
    extra_topics: tuple[str, ...] = ()

    @property
    def topics(self) -> list[str]:
        return [self.topic, *self.extra_topics]


def ready_file(name: str) -> Path:
    """Touched once the consumer holds its partitions: supervisors wait for it."""
    return Path(os.environ.get("VAR_DIR", "var")) / "run" / f"{name}.ready"


def _mark_ready(name: str) -> None:
    path = ready_file(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch()


def _where(message: Message) -> str:
    return f"{message.topic()}/{message.partition()}/{message.offset()}"


def consume(spec: ConsumerSpec, stop: threading.Event, poll_timeout_s: float = 0.05) -> None:
    """Run `spec` until `stop` is set."""
    kafka.ensure_topics([*spec.topics, spec.dead_letter_topic])
    consumer = kafka.consumer(spec.group_id)
    dead_letters = kafka.producer()
    consumer.subscribe(spec.topics, on_assign=lambda *_: _mark_ready(spec.name))
    try:
        while not stop.is_set():
            batch = [m for m in consumer.consume(spec.batch_size, poll_timeout_s) if not m.error()]
            if not batch:
                continue
            refused = spec.handle(batch)
            for message, reason in refused:
                log.warning(
                    "%s: dead-lettering %s@%s: %s",
                    spec.name,
                    message.partition(),
                    message.offset(),
                    reason,
                )
                dead_letters.produce(
                    spec.dead_letter_topic,
                    key=message.key(),
                    value=message.value(),
                    headers={
                        "reason": reason.encode(),
                        "source": _where(message).encode(),
                    },
                )
            if refused and dead_letters.flush(30):
                raise RuntimeError("dead-letter topic did not acknowledge: not committing")
            consumer.commit(asynchronous=False)
    finally:
        ready_file(spec.name).unlink(missing_ok=True)
        consumer.close()
