"""The ws-gateway's protocol: what a client may send, and the delta it is sent (DESIGN.md,
"Websocket"), built from a real order by the producer's own code."""

from __future__ import annotations

import json

import msgspec
import pytest

from contracts.trading import LastFillV1, OrderDeltaV1
from infra.store.api import run
from realtime.protocol import (
    SUBSCRIBE_IDS_MAX,
    BadMessage,
    parse_client_message,
    read_delta,
)
from tests.support.deltas import CLIENT_DELTA_FIELDS
from tests.support.reports import NOW
from tests.support.store import TRADER, seeded_store
from trading.outbox import ORDER_EVENTS, OutboxMessage
from trading.publisher import envelope
from trading.repository import Repository
from trading.services.place import PlaceOrder, place_order
from trading.snapshots import order_delta


def test_subscribe_to_all_or_to_named_orders():
    every = parse_client_message('{"action": "subscribe", "orders": "*"}')
    assert every.wants("O-any")
    some = parse_client_message('{"action": "subscribe", "orders": ["O-1", "O-2"]}')
    assert some.wants("O-2") and not some.wants("O-3")


@pytest.mark.parametrize(
    "text",
    [
        None,  # a binary frame
        "not json",
        '["subscribe"]',
        '{"action": "unsubscribe", "orders": "*"}',
        '{"action": "subscribe"}',
        '{"action": "subscribe", "orders": [1, 2]}',
        json.dumps({"action": "subscribe", "orders": ["O"] * (SUBSCRIBE_IDS_MAX + 1)}),
        json.dumps({"action": "subscribe", "orders": "*", "pad": "x" * 70_000}),
    ],
)
def test_a_bad_client_message_is_refused_with_the_usage(text):
    with pytest.raises(BadMessage):
        parse_client_message(text)


def a_delta(tmp_path) -> OrderDeltaV1:
    db = seeded_store(tmp_path)
    command = PlaceOrder(TRADER, "O-ws", "BTC-USD", "buy", "3.0", "10000")
    order_id = run(db, lambda tr: place_order(tr, command, NOW)).order.order_id
    delta = order_delta(run(db, lambda tr: Repository(tr).order(order_id)))
    db.close()
    return delta


def published(delta: OrderDeltaV1) -> bytes:
    """The envelope as the outbox publisher writes it."""
    message_id = f"{delta.order_id}:{delta.seq}:delta"
    return envelope(OutboxMessage(message_id, ORDER_EVENTS, delta.order_id, delta, NOW))


def test_the_delta_a_client_is_sent_has_the_contract_s_fields_and_no_trader(tmp_path):
    payload = a_delta(tmp_path)
    delta = read_delta(published(payload))
    assert delta is not None
    assert (delta.trader_id, delta.order_id, delta.seq) == (TRADER, payload.order_id, 1)
    sent = json.loads(delta.text)
    assert set(sent) == CLIENT_DELTA_FIELDS
    assert sent["type"] == "order.delta" and sent["state"] == "new"
    assert (sent["quantity"], sent["filled_quantity"]) == ("3", "0")
    assert sent["updated_at"] == payload.updated_at  # as the snapshot writes it


def test_a_last_fill_reaches_the_client(tmp_path):
    fill = LastFillV1("F1", "EA-1", "SIM-A", "1.2", "9980")
    payload = msgspec.structs.replace(a_delta(tmp_path), last_fill=fill)
    sent = json.loads(read_delta(published(payload)).text)
    assert sent["last_fill"] == msgspec.to_builtins(fill)


@pytest.mark.parametrize(
    "envelope",
    [
        b"not json",
        b'{"no": "payload"}',
        b'{"payload": {"type": "fill"}}',
        b'{"payload": {"type": "order.delta", "order_id": "O", "seq": 1}}',
        b'{"payload": {"type": "order.delta", "trader_id": "T", "order_id": "O", "seq": "1"}}',
        b'{"payload": {"type": "order.delta", "trader_id": "T", "order_id": "O", "seq": true}}',
        b'{"message_id": "m", "type": "evt.trading.order.v1", "key": "O", "payload": {}}',
    ],
)
def test_what_cannot_be_routed_is_not_a_delta(envelope):
    assert read_delta(envelope) is None
