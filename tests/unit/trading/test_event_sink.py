"""The event sink counts a batch as sent only when Kafka acknowledged each of its messages."""

from __future__ import annotations

from typing import Any

import pytest

from tests.unit.trading.test_outbox_contract import DELTA, message
from trading.sinks import KafkaEventSink


class Delivered:
    def __init__(self, offset: int) -> None:
        self._offset = offset

    def topic(self) -> str:
        return "evt.trading.order.v1"

    def partition(self) -> int:
        return 0

    def offset(self) -> int:
        return self._offset


class Producer:
    """Acknowledges the first `acks` messages; the rest vanish with no report, as a producer
    made again after a fatal error drops what the old one still held."""

    def __init__(self, acks: int) -> None:
        self.acks = acks
        self.produced = 0

    def produce(self, topic: str, *, on_delivery: Any, **kw: Any) -> None:
        self.produced += 1
        if self.produced <= self.acks:
            on_delivery(None, Delivered(self.produced))

    def poll(self, timeout_s: float = 0) -> int:
        return 0

    def flush(self, timeout_s: float) -> int:
        return 0  # the new producer holds nothing


def test_every_message_acknowledged_gives_the_offsets_kafka_gave() -> None:
    sink = KafkaEventSink(Producer(acks=3))
    assert sink([message(DELTA)] * 3) == {("evt.trading.order.v1", 0): 3}


def test_a_message_dropped_with_no_report_fails_the_batch_so_it_is_sent_again() -> None:
    sink = KafkaEventSink(Producer(acks=1))
    with pytest.raises(RuntimeError, match="did not acknowledge"):
        sink([message(DELTA)] * 3)
