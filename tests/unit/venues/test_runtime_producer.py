"""venues.runtime's report producer: one that is dead or stuck is replaced, and a report that
was not acknowledged makes flush_reports raise (its sender sends it again)."""

from __future__ import annotations

import pytest
from confluent_kafka import KafkaError, KafkaException

from venues import runtime
from venues.adapters.sim.parse import synthetic_report


class DeadProducer:
    """What librdkafka's producer does once fatal: every send refused with code _FATAL."""

    def __init__(self, **kw) -> None:
        pass

    def produce(self, *args, **kwargs) -> None:
        raise KafkaException(KafkaError(KafkaError._FATAL, "Unable to produce message"))


class TimingOut(DeadProducer):
    """A producer whose every report times out (its id unknown to a restarted broker)."""

    def produce(self, topic, on_delivery, **kwargs) -> None:
        on_delivery(KafkaError(KafkaError._MSG_TIMED_OUT), object())

    def flush(self, timeout) -> int:
        return 0


@pytest.fixture
def made(monkeypatch):
    made: list[object] = []
    monkeypatch.setattr(runtime.kafka, "ensure_topics", lambda names: None)
    runtime.reset()
    yield made
    runtime.reset()


REPORT = synthetic_report("SIM-A", "O1:EA-1", "rejected", "venue down")


def test_a_send_refused_as_fatal_goes_again_on_a_new_producer(monkeypatch, made):
    monkeypatch.setattr(runtime.kafka, "producer", lambda **kw: made.append(1) or DeadProducer())
    with pytest.raises(KafkaException):
        runtime.emit_report(REPORT)
    assert len(made) == 2


def test_a_report_that_timed_out_is_not_taken_for_delivered(monkeypatch, made):
    monkeypatch.setattr(runtime.kafka, "producer", lambda **kw: made.append(1) or TimingOut())
    runtime.emit_report(REPORT)
    with pytest.raises(RuntimeError, match="did not acknowledge"):
        runtime.flush_reports()
    runtime.emit_report(REPORT)  # the sender sends it again: on a new producer
    assert len(made) == 2
