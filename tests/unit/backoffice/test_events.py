"""The projector's decoding: envelopes, payloads and dead letters, refused with a reason."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import msgspec
import pytest

from backoffice import events as ev
from backoffice.templatetags.backoffice_format import plain
from contracts.values import decimal_of

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


class FakeMessage:
    """The part of confluent_kafka.Message the projector reads."""

    def __init__(
        self,
        topic: str,
        value: bytes | None,
        *,
        key: bytes | None = b"O-1",
        headers: list[tuple[str, bytes]] | None = None,
        partition: int = 0,
        offset: int = 7,
        timestamp_ms: int = 0,
    ) -> None:
        self._topic, self._value, self._key = topic, value, key
        self._headers, self._partition, self._offset = headers, partition, offset
        self._timestamp = (1, timestamp_ms) if timestamp_ms else (0, -1)

    def topic(self) -> str:
        return self._topic

    def value(self) -> bytes | None:
        return self._value

    def key(self) -> bytes | None:
        return self._key

    def headers(self) -> list[tuple[str, bytes]] | None:
        return self._headers

    def partition(self) -> int:
        return self._partition

    def offset(self) -> int:
        return self._offset

    def timestamp(self) -> tuple[int, int]:
        return self._timestamp

    def error(self) -> None:
        return None


def envelope(message_id: str, topic: str, payload: dict[str, Any], created_at: str = "") -> bytes:
    body = {
        "message_id": message_id,
        "type": topic,
        "key": "O-1",
        "created_at": created_at or NOW.isoformat(),
        "payload": payload,
    }
    return json.dumps(body).encode()


DELTA = {
    "type": "order.delta",
    "order_id": "O-1",
    "trader_id": "T1",
    "seq": 3,
    "state": "partially_filled",
    "instrument": "BTC-USD",
    "quantity": "3",
    "filled_quantity": "1.2",
    "remaining_quantity": "1.8",
    "average_price": "9980",
    "attempts": [
        {
            "attempt_id": "EA-1",
            "venue": "SIM-A",
            "quantity": "3",
            "filled_quantity": "1.2",
            "state": "working",
        }
    ],
    "updated_at": NOW.isoformat(),
    "last_fill": {
        "fill_id": "O-1-F1",
        "attempt_id": "EA-1",
        "venue": "SIM-A",
        "quantity": "1.2",
        "price": "9980",
    },
}


def test_an_order_delta_is_decoded_with_exact_decimals():
    event = ev.decode(FakeMessage(ev.ORDER_TOPIC, envelope("O-1:3:delta", ev.ORDER_TOPIC, DELTA)))
    assert event.message_id == "O-1:3:delta"
    assert event.created_at == NOW
    delta = event.payload
    assert isinstance(delta, ev.OrderDelta)
    assert (delta.seq, decimal_of(delta.filled_quantity), decimal_of(delta.average_price)) == (
        3,
        Decimal("1.2"),
        9980,
    )
    assert delta.attempts[0].attempt_id == "EA-1"
    assert event.order_created_at is None  # only a rebuild knows it; seq 1 tells the projector


def test_a_ledger_entry_keeps_its_postings_in_minor_units():
    entry = {
        "entry_id": "dep:USD",
        "kind": "deposit",
        "order_id": None,
        "memo": "deposit",
        "reverses": None,
        "created_at": NOW.isoformat(),
        "postings": [
            {"account": "trader:T1", "asset": "USD", "amount_minor": 10**14},
            {"account": "external:deposits", "asset": "USD", "amount_minor": -(10**14)},
        ],
    }
    event = ev.decode(
        FakeMessage(ev.LEDGER_TOPIC, envelope("dep:USD:entry", ev.LEDGER_TOPIC, entry))
    )
    assert isinstance(event.payload, ev.EntryEvent)
    assert [p.amount_minor for p in event.payload.postings] == [10**14, -(10**14)]


@pytest.mark.parametrize(
    ("topic", "value", "reason"),
    [
        (ev.ORDER_TOPIC, b"{not json", "bad evt.trading.order.v1"),
        (ev.ORDER_TOPIC, None, "bad evt.trading.order.v1"),
        (ev.FILL_TOPIC, envelope("x", ev.FILL_TOPIC, {"fill_id": "F"}), "missing required field"),
        (
            ev.ORDER_TOPIC,
            envelope("x", ev.ORDER_TOPIC, {**DELTA, "seq": "three"}),
            "Expected `int`",
        ),
        (
            ev.ORDER_TOPIC,
            envelope("x", ev.ORDER_TOPIC, DELTA, created_at="2026-11-25T12:00:00"),
            "at `$.created_at`",  # a time without its zone
        ),
        (
            ev.ORDER_TOPIC,
            envelope("x", ev.ORDER_TOPIC, {**DELTA, "quantity": "3.000000001"}),
            "at `$.payload.quantity`",  # more decimals than the ledger's unit
        ),
        ("evt.something.else", b"{}", "not a topic the projector reads"),
    ],
)
def test_what_cannot_be_read_is_refused_with_its_reason(topic, value, reason):
    with pytest.raises(ev.BadMessage, match=re.escape(reason)):
        ev.decode(FakeMessage(topic, value))


def test_a_dead_letter_is_known_by_the_message_it_came_from():
    headers = [
        ("reason", b"unparseable report: bad"),
        ("source", b"evt.venue.execution.report.v1/2/41"),
    ]
    first = FakeMessage(
        ev.DLQ_TOPIC, b"{garbage", headers=headers, offset=3, timestamp_ms=1_764_072_000_000
    )
    again = FakeMessage(ev.DLQ_TOPIC, b"{garbage", headers=headers, offset=9)
    one, two = ev.decode(first), ev.decode(again)
    assert one.message_id == two.message_id == "dlq:evt.venue.execution.report.v1/2/41"
    assert isinstance(one.payload, ev.DeadLetterEvent)
    assert (one.payload.reason, one.payload.value, one.payload.offset) == (
        "unparseable report: bad",
        "{garbage",
        3,
    )
    assert one.created_at == datetime.fromtimestamp(1_764_072_000, UTC)
    no_source = ev.decode(FakeMessage(ev.DLQ_TOPIC, b"x", headers=None, partition=1, offset=5))
    assert no_source.message_id == f"dlq:{ev.DLQ_TOPIC}/1/5"


def test_a_store_record_becomes_the_event_the_wire_carries():
    created = datetime(2026, 11, 25, 11, 0, tzinfo=UTC)
    rebuilt = ev.order_event(msgspec.convert(DELTA, ev.OrderDelta), created)
    wire = ev.decode(FakeMessage(ev.ORDER_TOPIC, envelope("O-1:3:delta", ev.ORDER_TOPIC, DELTA)))
    assert rebuilt.message_id == wire.message_id
    assert rebuilt.payload == wire.payload
    assert rebuilt.order_created_at == created


@pytest.mark.parametrize(
    ("value", "text"),
    [(Decimal("3.00000000"), "3"), (Decimal("9983"), "9983"), (Decimal("3E+1"), "30"), (None, "—")],
)
def test_decimals_are_shown_plain(value, text):
    assert plain(value) == text
