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
