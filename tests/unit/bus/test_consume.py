"""The poison-message step of the consume loop (infra/bus/consume.py), with fake messages."""

from __future__ import annotations

import threading
from collections.abc import Sequence

import pytest
from confluent_kafka import KafkaError, KafkaException
from django.db import OperationalError

from infra.bus import consume
from infra.bus.consume import Backoff, Stopping, is_transient, settle
from infra.store.api import FDBError


class FakeMessage:
    def __init__(self, offset: int, value: bytes) -> None:
        self._offset, self._value = offset, value

    def key(self) -> bytes:
        return b"k"

    def value(self) -> bytes:
        return self._value

    def topic(self) -> str:
        return "t"

    def partition(self) -> int:
        return 0

    def offset(self) -> int:
        return self._offset

    def error(self) -> None:
        return None


def batch(*values: bytes) -> list[FakeMessage]:
    return [FakeMessage(i, v) for i, v in enumerate(values)]


class NoWait(Backoff):
    """Counts the waits instead of sleeping."""

    def __init__(self, stop_after: int | None = None) -> None:
        super().__init__(threading.Event())
        self.waits = 0
        self.stop_after = stop_after

    def __call__(self, attempt: int) -> None:
        self.waits += 1
        if self.stop_after is not None and self.waits >= self.stop_after:
            raise Stopping()


class Store:
    """A handler that applies values, refuses b"bad", and raises on b"poison" (atomically)."""

    def __init__(self, failures: Sequence[BaseException] = ()) -> None:
        self.applied: list[bytes] = []
        self.calls = 0
        self.failures = list(failures)  # raised by the first calls, whatever the batch

    def __call__(self, messages):
        self.calls += 1
        if self.failures:
            raise self.failures.pop(0)
        if any(m.value() == b"poison" for m in messages):
            raise ValueError("cannot apply poison")
        self.applied += [m.value() for m in messages if m.value() != b"bad"]
        return [(m, "refused: bad") for m in messages if m.value() == b"bad"]


def test_a_poison_message_in_the_middle_is_dead_lettered_and_every_other_one_is_applied():
    messages = batch(b"a", b"b", b"c", b"poison", b"d", b"e", b"f")
    store = Store()
    letters = settle(store, messages, NoWait())
    assert [(letter.message.offset(), letter.reason) for letter in letters] == [
        (3, "handler failed: cannot apply poison")
    ]
    assert "ValueError: cannot apply poison" in letters[0].error
    assert sorted(store.applied) == [b"a", b"b", b"c", b"d", b"e", b"f"]


def test_refused_messages_keep_their_reason_beside_a_poison_one():
    letters = settle(Store(), batch(b"bad", b"poison", b"ok"), NoWait())
    assert sorted((m.message.offset(), m.reason.split(":")[0]) for m in letters) == [
        (0, "refused"),
        (1, "handler failed"),
    ]


def test_a_lone_failure_is_tried_again_before_it_is_dead_lettered():
    # A race the classifier does not know (e.g. a unique-key clash): the second try works.
    store = Store(failures=[ValueError("raced")])
    pause = NoWait()
    assert settle(store, batch(b"a"), pause) == []
    assert store.applied == [b"a"]
    assert pause.waits == 1


@pytest.mark.parametrize(
    "error",
    [
        FDBError(1031),  # transaction timed out: the store is slow, not the message
        FDBError(1020),
        KafkaException(KafkaError(KafkaError._TRANSPORT)),
        ConnectionRefusedError("store down"),
        OperationalError("server closed the connection unexpectedly"),
    ],
)
def test_a_transient_error_is_waited_out_and_never_dead_letters_a_good_message(error):
    store = Store(failures=[error] * 8)  # more failures than POISON_TRIES
    pause = NoWait()
    assert settle(store, batch(b"a", b"b", b"c"), pause) == []
    assert store.applied == [b"a", b"b", b"c"]
    assert store.failures == []  # every transient failure was waited out


def test_a_batch_that_keeps_timing_out_is_tried_in_halves_and_nothing_is_dead_lettered():
    class TooBig(Store):
        def __call__(self, messages):
            if len(messages) > 2:
                self.calls += 1
                raise FDBError(1031)  # transaction timed out: the batch is too slow to commit
            return super().__call__(messages)

    store = TooBig()
    assert settle(store, batch(b"a", b"b", b"c", b"d", b"e"), NoWait()) == []
    assert store.applied == [b"a", b"b", b"c", b"d", b"e"]


def test_a_stop_during_a_transient_outage_leaves_without_dead_lettering():
    store = Store(failures=[FDBError(1031)] * 100)
    with pytest.raises(Stopping):
        settle(store, batch(b"a", b"b"), NoWait(stop_after=3))
    assert store.applied == []


def test_the_store_refusing_a_value_as_too_large_is_not_transient():
    assert not is_transient(FDBError(2103))
    assert not is_transient(ValueError("x"))
    assert is_transient(FDBError(1007))


class FakeConsumer:
    """Hands out one batch, then nothing; records commits."""

    def __init__(self, messages, stop: threading.Event) -> None:
        self.batches = [messages]
        self.commits = 0
        self.stop = stop

    def subscribe(self, topics, on_assign=None) -> None:
        self.topics = topics

    def poll(self, timeout):
        if self.batches:
            first, *rest = self.batches.pop(0)
            self.batches.insert(0, rest)
            return first
        self.stop.set()
        return None

    def consume(self, n, timeout):
        return self.batches.pop(0) if self.batches else []

    def commit(self, asynchronous: bool) -> None:
        self.commits += 1

    def close(self) -> None:
        pass


class FakeProducer:
    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes, dict]] = []

    def produce(self, topic, key, value, headers) -> None:
        self.sent.append((topic, value, headers))

    def flush(self, timeout) -> int:
        return 0

    def take_errors(self) -> list:
        return []


def test_the_loop_dead_letters_the_poison_message_then_commits_past_it(monkeypatch, tmp_path):
    monkeypatch.setenv("VAR_DIR", str(tmp_path))
    stop = threading.Event()
    fake = FakeConsumer(batch(b"a", b"poison", b"b"), stop)
    producer = FakeProducer()
    monkeypatch.setattr(consume.kafka, "ensure_topics", lambda names: None)
    monkeypatch.setattr(consume.kafka, "consumer", lambda group, **config: fake)
    monkeypatch.setattr(consume.kafka, "RecreatingProducer", lambda: producer)
    store = Store()
    spec = consume.ConsumerSpec("unit", "t", "g", store, "t.dlq")
    consume.consume(spec, stop)
    assert [(t, v) for t, v, _ in producer.sent] == [("t.dlq", b"poison")]
    headers = producer.sent[0][2]
    assert headers["source"] == b"t/0/1"
    assert headers["reason"] == b"handler failed: cannot apply poison"
    assert b"ValueError" in headers["error"]
    assert fake.commits == 1
    assert store.applied == [b"a", b"b"]
