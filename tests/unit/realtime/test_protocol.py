"""The ws-gateway's protocol: what a client may send, and the delta it is sent (DESIGN.md,
"Websocket"), built from a real order by the producer's own code."""

from __future__ import annotations

import json

import pytest

from infra.store.api import run
from realtime.protocol import (
    SUBSCRIBE_IDS_MAX,
    BadMessage,
    parse_client_message,
    read_delta,
)
from tests.support.reports import NOW
from tests.support.store import TRADER, seeded_store
from trading.repository import Repository
from trading.services.place import PlaceOrder, place_order
from trading.snapshots import order_delta

# The contract's delta fields (DESIGN.md "Websocket"), `last_fill` when there is one, and the
# instrument the gateway adds; never the trader to route to.
CONTRACT = {
    "type",
    "order_id",
    "seq",
    "state",
    "instrument",
    "quantity",
    "filled_quantity",
    "remaining_quantity",
    "average_price",
    "attempts",
    "updated_at",
}


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


def a_delta(tmp_path) -> dict:
    db = seeded_store(tmp_path)
    command = PlaceOrder(TRADER, "O-ws", "BTC-USD", "buy", "3.0", "10000")
    order_id = run(db, lambda tr: place_order(tr, command, NOW)).order.order_id
    delta = order_delta(run(db, lambda tr: Repository(tr).order(order_id)))
    db.close()
    return delta


def test_the_delta_a_client_is_sent_has_the_contract_s_fields_and_no_trader(tmp_path):
    payload = a_delta(tmp_path)
    delta = read_delta(json.dumps({"payload": payload}).encode())
    assert delta is not None
    assert (delta.trader_id, delta.order_id, delta.seq) == (TRADER, payload["order_id"], 1)
    sent = json.loads(delta.text)
    assert set(sent) == CONTRACT
    assert sent["type"] == "order.delta" and sent["state"] == "new"
    assert (sent["quantity"], sent["filled_quantity"]) == ("3", "0")


def test_a_last_fill_reaches_the_client(tmp_path):
    payload = a_delta(tmp_path)
    payload["last_fill"] = {"fill_id": "F1", "attempt_id": "EA-1", "venue": "SIM-A"}
    sent = json.loads(read_delta(json.dumps({"payload": payload}).encode()).text)
    assert sent["last_fill"] == payload["last_fill"]


@pytest.mark.parametrize(
    "envelope",
    [
        b"not json",
        b'{"no": "payload"}',
        b'{"payload": {"type": "fill"}}',
        b'{"payload": {"type": "order.delta", "order_id": "O", "seq": 1}}',
        b'{"payload": {"type": "order.delta", "trader_id": "T", "order_id": "O", "seq": "1"}}',
        b'{"payload": {"type": "order.delta", "trader_id": "T", "order_id": "O", "seq": true}}',
    ],
)
def test_what_cannot_be_routed_is_not_a_delta(envelope):
    assert read_delta(envelope) is None
