"""One consume loop for every Kafka consumer of the platform (see `wiring/consumers.py`).

The handler gets a batch of messages and returns the ones it refuses with a reason; those
go to the consumer's dead-letter topic, then the batch's offsets are committed. Commit comes
last, so a crash replays the batch: every handler must be idempotent by message id.

A handler that raises goes through `settle`, the one poison-message step every consumer
shares: a transient error (store or Kafka unavailable) is retried with backoff and never
dead-letters anything; any other error splits the batch in halves until the one message that
fails is found, and that message is dead-lettered with the error, so the rest go on.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from confluent_kafka import KafkaException

from infra.bus import kafka
from infra.store.api import FDBError

log = logging.getLogger(__name__)

POISON_TRIES = 3  # a lone failing message is tried this often before it is dead-lettered
TRANSIENT_TRIES_BEFORE_SPLIT = 3  # then a batch is tried in halves (never dead-lettered)
BACKOFF_MAX_S = 5.0
ERROR_HEADER_MAX = 2000


class Message(Protocol):
    def key(self) -> bytes | None: ...
    def value(self) -> bytes | None: ...
    def topic(self) -> str | None: ...
    def partition(self) -> int | None: ...
    def offset(self) -> int | None: ...
    def error(self) -> object: ...


Refused = list[tuple[Message, str]]
Handler = Callable[[Sequence[Message]], Refused]


@dataclass(frozen=True)
class DeadLetter:
    message: Message
    reason: str
    error: str = ""


@dataclass(frozen=True)
class ConsumerSpec:
    name: str
    topic: str
    group_id: str
    handle: Handler
    dead_letter_topic: str
    batch_size: int = 500
    # More topics for the same handler (one consumer, one group): e.g. the back office's
    # projector reads the order, fill and ledger events and a dead-letter topic.
    extra_topics: tuple[str, ...] = ()
    # How long the broker may hold an empty fetch: each empty answer costs Tansu CPU, and a
    # message produced meanwhile may wait for it. Measured on one idle consumer (loaded
    # machine): 10 ms -> 47 ms/s of broker CPU, p50 8 ms; 25 ms -> 29 ms/s, p50 6 ms;
    # 100 ms -> 12 ms/s, p50 29 ms. 25 ms where a fill waits on it; more for the read models.
    fetch_wait_ms: int = 25
    # After a batch's first message, how long what else arrives may join it: one transaction
    # (one commit) for all of them. Short where a fill waits; longer for the read models.
    linger_s: float = 0.005

    @property
    def topics(self) -> list[str]:
        return [self.topic, *self.extra_topics]


class Stopping(Exception):
    """Raised out of a backoff when the consumer is asked to stop: nothing is committed."""


def is_transient(error: BaseException) -> bool:
    """True for an error that says nothing about the message: a store or broker unavailable."""
    if isinstance(error, FDBError):
        return error.code < 2000  # 1xxx are the cluster's (timeouts, conflicts); 2xxx misuse
    if isinstance(error, KafkaException | ConnectionError | TimeoutError):
        return True
    if isinstance(error, sqlite3.OperationalError):
        return True  # "database is locked" and the like
    from django.db import InterfaceError, OperationalError

    return isinstance(error, OperationalError | InterfaceError)


def describe(error: BaseException) -> str:
    """The error as one header value: its type and message, bounded."""
    text = f"{type(error).__module__}.{type(error).__qualname__}: {error}"
    return text[:ERROR_HEADER_MAX]


class Backoff:
    """Waits 0.1 s, 0.2 s, ... up to BACKOFF_MAX_S; raises Stopping once `stop` is set."""

    def __init__(self, stop: threading.Event | None = None) -> None:
        self.stop = stop or threading.Event()

    def __call__(self, attempt: int) -> None:
        if self.stop.wait(min(0.1 * 2 ** (attempt - 1), BACKOFF_MAX_S)):
            raise Stopping()


class _Split(Exception):
    """A batch kept failing transiently: try it in halves (a timeout may be its size)."""


def _through_transient(handle: Handler, batch: Sequence[Message], pause: Backoff) -> Refused:
    attempt = 0
    while True:
        try:
            return handle(batch)
        except Exception as error:
            if not is_transient(error):
                raise
            attempt += 1
            if len(batch) > 1 and attempt >= TRANSIENT_TRIES_BEFORE_SPLIT:
                raise _Split() from error
            log.warning("transient error on %d message(s), again: %s", len(batch), error)
            pause(attempt)


def settle(handle: Handler, batch: Sequence[Message], pause: Backoff) -> list[DeadLetter]:
    """Handle `batch` whatever it holds; returns what must go to the dead-letter topic.

    Every message of the batch is either applied by the handler or returned here (refused by
    the handler, or the one message the handler fails on). Transient errors are waited out
    (a batch that keeps failing on them is tried in halves, but nothing is dead-lettered).
    """
    try:
        return [DeadLetter(m, r) for m, r in _through_transient(handle, batch, pause)]
    except Stopping:
        raise
    except _Split:
        failure: Exception | None = None
    except Exception as error:
        failure = error
    if len(batch) > 1:
        middle = len(batch) // 2
        return settle(handle, batch[:middle], pause) + settle(handle, batch[middle:], pause)
    assert failure is not None  # a lone message is never split, only waited for
    for attempt in range(1, POISON_TRIES):  # a lone message: maybe a race, try it again
        pause(attempt)
        try:
            return [DeadLetter(m, r) for m, r in _through_transient(handle, batch, pause)]
        except Stopping:
            raise
        except Exception as error:
            failure = error
    log.error("dead-lettering %s: %s", _where(batch[0]), describe(failure), exc_info=failure)
    reason = f"handler failed: {failure}"[:ERROR_HEADER_MAX]
    return [DeadLetter(batch[0], reason, describe(failure))]


def ready_file(name: str) -> Path:
    """Touched once the consumer holds its partitions: supervisors wait for it."""
    return Path(os.environ.get("VAR_DIR", "var")) / "run" / f"{name}.ready"


def _mark_ready(name: str) -> None:
    path = ready_file(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch()


def _where(message: Message) -> str:
    return f"{message.topic()}/{message.partition()}/{message.offset()}"


def dead_letter(
    producer: kafka.RecreatingProducer, topic: str, letters: Sequence[DeadLetter], pause: Backoff
) -> None:
    """Send `letters` to `topic`, waiting out a broker that does not acknowledge (at least once)."""
    attempt = 0
    while True:
        for letter in letters:
            message = letter.message
            log.warning("dead-lettering %s: %s", _where(message), letter.reason)
            headers = {"reason": letter.reason.encode(), "source": _where(message).encode()}
            if letter.error:
                headers["error"] = letter.error.encode()
            producer.produce(topic, key=message.key(), value=message.value(), headers=headers)
        if not producer.flush(30) and not producer.take_errors():
            return
        attempt += 1
        log.warning("dead-letter topic %s did not acknowledge: again", topic)
        pause(attempt)


def consume(spec: ConsumerSpec, stop: threading.Event, poll_timeout_s: float = 0.05) -> None:
    """Run `spec` until `stop` is set."""
    kafka.ensure_topics([*spec.topics, spec.dead_letter_topic])
    consumer = kafka.consumer(spec.group_id, **{"fetch.wait.max.ms": spec.fetch_wait_ms})
    dead_letters = kafka.RecreatingProducer()
    pause = Backoff(stop)
    consumer.subscribe(spec.topics, on_assign=lambda *_: _mark_ready(spec.name))
    try:
        while not stop.is_set():
            # consume(n, t) waits all of t unless n came: wait for one, then linger briefly.
            first = consumer.poll(poll_timeout_s)
            if first is None:
                continue
            more = (
                consumer.consume(spec.batch_size - 1, spec.linger_s) if spec.batch_size > 1 else []
            )
            batch = [m for m in (first, *more) if not m.error()]
            if not batch:
                continue
            letters = settle(spec.handle, batch, pause)
            if letters:
                dead_letter(dead_letters, spec.dead_letter_topic, letters, pause)
            try:
                consumer.commit(asynchronous=False)
            except KafkaException as error:  # e.g. a rebalance: the batch is replayed, idempotent
                log.warning("%s: commit failed (%s); the batch will be replayed", spec.name, error)
    except Stopping:
        pass
    finally:
        ready_file(spec.name).unlink(missing_ok=True)
        consumer.close()
