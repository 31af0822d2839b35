"""venues.runtime's report producer: one that is in its fatal state is replaced."""

from __future__ import annotations

import pytest
from confluent_kafka import KafkaError, KafkaException

from venues import runtime


class DeadProducer:
    """What librdkafka's producer does once fatal: every send refused with code _FATAL."""

    def produce(self, *args, **kwargs) -> None:
        raise KafkaException(KafkaError(KafkaError._FATAL, "Unable to produce message"))


def test_a_send_refused_as_fatal_makes_the_next_report_use_a_new_producer(monkeypatch):
    made: list[object] = []
    monkeypatch.setattr(runtime.kafka, "ensure_topics", lambda names: None)
    monkeypatch.setattr(
        runtime.kafka, "producer", lambda **kw: made.append(DeadProducer()) or made[-1]
    )
    runtime.reset()
    runtime._fatal.clear()
    report = {"order_id": "O1", "message_id": "m1"}
    with pytest.raises(KafkaException):
        runtime.emit_report(report)
    with pytest.raises(KafkaException):
        runtime.emit_report(report)  # the caller sends again: on a new producer
    assert len(made) == 2
    runtime.reset()
    runtime._fatal.clear()
