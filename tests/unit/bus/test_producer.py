"""kafka.RecreatingProducer: a producer that hit a fatal error is replaced by a new one."""

from __future__ import annotations

from confluent_kafka import KafkaError, KafkaException

from infra.bus.kafka import RecreatingProducer

FATAL = KafkaError(KafkaError.UNKNOWN_PRODUCER_ID, "unknown producer id", fatal=True)


class FakeProducer:
    made: list[FakeProducer] = []

    def __init__(self, error_cb) -> None:
        self.error_cb = error_cb
        self.sent: list[str] = []
        self.fail_with: KafkaError | None = None
        self.purged = False
        FakeProducer.made.append(self)

    def produce(self, topic, on_delivery, **kw) -> None:
        if self.fail_with is not None:
            raise KafkaException(self.fail_with)
        self.sent.append(topic)
        on_delivery(None, object())

    def poll(self, timeout) -> int:
        return 0

    def flush(self, timeout) -> int:
        return 0

    def purge(self) -> None:
        self.purged = True


def test_a_fatal_error_reported_by_the_client_makes_the_next_send_use_a_new_producer():
    FakeProducer.made = []
    producer = RecreatingProducer(make=FakeProducer)
    first = FakeProducer.made[0]
    first.error_cb(FATAL)  # librdkafka's error callback, e.g. after the broker restarted
    producer.produce("t", value=b"x")
    assert len(FakeProducer.made) == 2
    assert first.sent == []
    assert FakeProducer.made[1].sent == ["t"]
    assert producer.recreated == 1


def test_a_send_refused_with_a_fatal_error_is_sent_again_on_a_new_producer():
    FakeProducer.made = []
    producer = RecreatingProducer(make=FakeProducer)
    FakeProducer.made[0].fail_with = FATAL
    producer.produce("t", value=b"x")
    assert FakeProducer.made[1].sent == ["t"]


def test_a_non_fatal_error_keeps_the_producer():
    FakeProducer.made = []
    producer = RecreatingProducer(make=FakeProducer)
    FakeProducer.made[0].error_cb(KafkaError(KafkaError._ALL_BROKERS_DOWN))
    producer.produce("t", value=b"x")
    assert len(FakeProducer.made) == 1
    assert producer.flush(1) == 0 and producer.take_errors() == []


def test_a_delivery_that_timed_out_makes_the_next_send_use_a_new_producer():
    # After a broker restarted without its log the old producer's id is unknown to it: its
    # messages time out one after the other, and only a new producer gets a new id.
    FakeProducer.made = []
    producer = RecreatingProducer(make=FakeProducer)
    timed_out = KafkaError(KafkaError._MSG_TIMED_OUT)
    first = FakeProducer.made[0]
    first.produce = lambda topic, on_delivery, **kw: on_delivery(timed_out, object())
    producer.produce("t", value=b"x")
    assert producer.flush(1) == 0 and producer.take_errors() == [timed_out]
    producer.produce("t", value=b"x")
    assert producer.recreated == 1
    assert FakeProducer.made[1].sent == ["t"]
