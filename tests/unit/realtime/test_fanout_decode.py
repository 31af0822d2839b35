"""The ws fanout's batch decoding: what is not an order delta is skipped, the rest go on."""

from datetime import UTC, datetime

from contracts.trading import AttemptV1, OrderDeltaV1
from realtime import fanout
from tests.unit.bus.test_consume import FakeMessage
from trading.outbox import ORDER_EVENTS, OutboxMessage
from trading.publisher import envelope

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def delta(order_id: str, seq: int) -> bytes:
    payload = OrderDeltaV1(
        order_id, "T1", seq, "working", "BTC-USD", "3", "0", "3", None,
        [AttemptV1("EA-1", "SIM-A", "3", "0", "working")], NOW.isoformat(),
    )  # fmt: skip
    return envelope(OutboxMessage(f"{order_id}:{seq}:delta", ORDER_EVENTS, order_id, payload, NOW))


def test_undecodable_messages_are_skipped_and_the_deltas_around_them_kept_in_order(caplog):
    values = [delta("O-1", 1), b"{not json", delta("O-1", 2), b'{"payload": 3}', delta("O-2", 1)]
    messages = [FakeMessage(i, v) for i, v in enumerate(values)]
    deltas = fanout.decode_deltas(messages)
    assert [(d.order_id, d.seq) for d in deltas] == [("O-1", 1), ("O-1", 2), ("O-2", 1)]
    skipped = [r.getMessage() for r in caplog.records if "skipping" in r.getMessage()]
    assert [line.split(": bad ")[0] for line in skipped] == [
        "ws-gateway fanout: skipping 0/1: not an order delta",
        "ws-gateway fanout: skipping 0/3: not an order delta",
    ]
    assert "JSON is malformed" in skipped[0]
    assert "Expected `object`, got `int` - at `$.payload`" in skipped[1]


class Positioned:
    """A consumed message or error event: librdkafka's events may carry no partition or offset."""

    def __init__(self, partition: int | None, offset: int | None, error: str | None = None):
        self._partition, self._offset, self._error = partition, offset, error

    def key(self) -> None:
        return None

    def value(self) -> bytes:
        return b""

    def topic(self) -> str:
        return "t"

    def partition(self) -> int | None:
        return self._partition

    def offset(self) -> int | None:
        return self._offset

    def error(self) -> str | None:
        return self._error


def test_a_batch_resumes_after_its_last_message_per_partition_and_skips_events_with_no_position():
    batch = [
        Positioned(0, 7),
        Positioned(None, None, error="partition EOF"),
        Positioned(1, 3),
        Positioned(None, None),  # no error and no position: skipped, the reader goes on
        Positioned(0, 8),
    ]
    messages, offsets = fanout.positioned(batch)
    assert messages == [batch[0], batch[2], batch[4]]
    assert offsets == {0: 9, 1: 4}
