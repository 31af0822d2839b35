"""/ws/v1/stream end to end: deltas written to Kafka as the outbox publisher writes them, read
by a real web server process, received by real websocket clients (DESIGN.md, "Public contract").

Every test message goes to partition 0 of the order topic, so what a test writes last is routed
last: a delta seen after others proves the earlier ones were routed (or dropped) already.
"""

from __future__ import annotations

import json
import socket
import time
import uuid
from collections import defaultdict
from decimal import Decimal
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect
from websockets.typing import Origin

from infra.bus import kafka
from tests.integration.realtime.conftest import PASSWORD, QUEUE_MAX, Gateway, Trader
from tests.support.deltas import CLIENT_DELTA_FIELDS
from tests.support.kafka import EnvelopeWriter
from trading.outbox import ORDER_EVENTS

RECEIVE_TIMEOUT_S = 10


def delta(trader: Trader, order_id: str, seq: int, **fields: Any) -> dict[str, Any]:
    """A payload shaped as trading.snapshots.order_delta makes it."""
    filled = Decimal(fields.pop("filled", "0"))
    return {
        "type": "order.delta",
        "order_id": order_id,
        "trader_id": trader.trader_id,
        "seq": seq,
        "state": "working",
        "instrument": "BTC-USD",
        "quantity": "3",
        "filled_quantity": str(filled),
        "remaining_quantity": str(3 - filled),
        "average_price": None,
        "attempts": [
            {
                "attempt_id": "EA-1",
                "venue": "SIM-A",
                "quantity": "3",
                "filled_quantity": str(filled),
                "state": "working",
            }
        ],
        "updated_at": "2025-01-01T00:00:00+00:00",
        **fields,
    }


def publish(
    writer: EnvelopeWriter, *payloads: dict[str, Any], message_id: str = "", partition: int = 0
) -> None:
    for payload in payloads:
        writer.publish(
            ORDER_EVENTS,
            payload["order_id"],
            payload,
            message_id or uuid.uuid4().hex,
            partition=partition,
        )
    writer.flush()


def order_id() -> str:
    return f"O-{uuid.uuid4().hex[:12]}"


def receive(ws: ClientConnection, timeout_s: float = RECEIVE_TIMEOUT_S) -> dict[str, Any]:
    return json.loads(ws.recv(timeout=timeout_s))


def subscribe(ws: ClientConnection, orders: Any = "*") -> None:
    ws.send(json.dumps({"action": "subscribe", "orders": orders}))
    assert receive(ws) == {"type": "subscribed"}


def receive_until(
    ws: ClientConnection, order: str, seq: int, timeout_s: float = RECEIVE_TIMEOUT_S
) -> list[dict[str, Any]]:
    """Every message up to and including the delta (order, seq); fails at the deadline."""
    deadline = time.monotonic() + timeout_s
    got: list[dict[str, Any]] = []
    while not (got and got[-1].get("order_id") == order and got[-1].get("seq") == seq):
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError(f"no {order} seq {seq} within {timeout_s} s; got {got[-5:]}")
        got.append(receive(ws, left))
    return got


def seqs(messages: list[dict[str, Any]], order: str) -> list[int]:
    return [m["seq"] for m in messages if m.get("order_id") == order]


def read_to_close(
    ws: ClientConnection, timeout_s: float = RECEIVE_TIMEOUT_S
) -> tuple[list[dict[str, Any]], int | None]:
    """Every message until the server closes, and the close code it sent (None: none sent)."""
    taken: list[dict[str, Any]] = []
    try:
        while True:
            taken.append(receive(ws, timeout_s))
    except ConnectionClosed as closed:
        return taken, closed.rcvd.code if closed.rcvd else None


def test_deltas_arrive_in_seq_order_with_the_contract_s_fields(
    gateway: Gateway, trader: Trader, writer: EnvelopeWriter
) -> None:
    order, other = order_id(), order_id()
    with connect(gateway.url(trader.token)) as ws:
        subscribe(ws)
        fill = {"fill_id": "F-1", "attempt_id": "EA-1", "venue": "SIM-A"}
        fill |= {"quantity": "1.2", "price": "9980"}
        publish(
            writer,
            delta(trader, order, 1, state="new"),
            delta(trader, other, 1),
            delta(trader, order, 2),
            delta(trader, order, 3, state="partially_filled", filled="1.2", last_fill=fill),
            delta(trader, other, 2),
        )
        got = receive_until(ws, other, 2)
    assert seqs(got, order) == [1, 2, 3]
    assert seqs(got, other) == [1, 2]
    first, third = got[0], next(m for m in got if m["order_id"] == order and m["seq"] == 3)
    assert set(first) == CLIENT_DELTA_FIELDS and first["state"] == "new"
    assert set(third) == CLIENT_DELTA_FIELDS | {"last_fill"}
    assert third["last_fill"] == fill and third["filled_quantity"] == "1.2"


def test_every_partition_is_read(gateway: Gateway, trader: Trader, writer: EnvelopeWriter) -> None:
    orders = {partition: order_id() for partition in range(kafka.PARTITIONS)}
    with connect(gateway.url(trader.token)) as ws:
        subscribe(ws)
        for partition, order in orders.items():
            publish(writer, delta(trader, order, 1), partition=partition)
        got = [receive(ws) for _ in orders]
    assert sorted(m["order_id"] for m in got) == sorted(orders.values())


def test_subscribing_sends_no_state(
    gateway: Gateway, trader: Trader, writer: EnvelopeWriter
) -> None:
    order = order_id()
    with connect(gateway.url(trader.token)) as early:
        subscribe(early)
        publish(writer, delta(trader, order, 1))
        assert seqs(receive_until(early, order, 1), order) == [1]
        with connect(gateway.url(trader.token)) as late:
            subscribe(late)
            publish(writer, delta(trader, order, 2))
            assert seqs(receive_until(late, order, 2), order) == [2]


def test_a_list_of_order_ids_filters(
    gateway: Gateway, trader: Trader, writer: EnvelopeWriter
) -> None:
    wanted, unwanted = order_id(), order_id()
    with connect(gateway.url(trader.token)) as ws:
        subscribe(ws, [wanted])
        publish(
            writer,
            delta(trader, unwanted, 1),
            delta(trader, wanted, 1),
            delta(trader, unwanted, 2),
            delta(trader, wanted, 2),
        )
        got = receive_until(ws, wanted, 2)
    assert [(m["order_id"], m["seq"]) for m in got] == [(wanted, 1), (wanted, 2)]


def test_another_trader_s_deltas_never_arrive(
    gateway: Gateway, trader: Trader, other_trader: Trader, writer: EnvelopeWriter
) -> None:
    mine, theirs = order_id(), order_id()
    with (
        connect(gateway.url(trader.token)) as everything,
        connect(gateway.url(trader.token)) as naming_theirs,
    ):
        subscribe(everything)
        subscribe(naming_theirs, [theirs, mine])  # their id is silently ignored
        publish(writer, delta(other_trader, theirs, 1), delta(other_trader, theirs, 2))
        publish(writer, delta(trader, mine, 1))
        for ws in (everything, naming_theirs):
            got = receive_until(ws, mine, 1)
            assert [(m["order_id"], m["seq"]) for m in got] == [(mine, 1)]
            assert all("trader_id" not in m for m in got)


@pytest.mark.parametrize("token", [None, "", "not-a-token"])
def test_a_bad_or_missing_token_closes_with_4401(
    gateway: Gateway, trader: Trader, token: str | None
) -> None:
    with connect(gateway.url(token)) as ws:
        assert read_to_close(ws) == ([], 4401)


def test_the_session_authenticates_and_a_bad_token_beside_it_does_not(
    gateway: Gateway, trader: Trader, writer: EnvelopeWriter
) -> None:
    browser = Client()
    assert browser.login(username=trader.username, password=PASSWORD)
    name = settings.SESSION_COOKIE_NAME
    cookie = {"Cookie": f"{name}={browser.cookies[name].value}"}
    order = order_id()
    with connect(gateway.url(), additional_headers=cookie, origin=gateway.origin) as ws:
        subscribe(ws)
        publish(writer, delta(trader, order, 1))
        assert seqs(receive_until(ws, order, 1), order) == [1]
    with connect(gateway.url("not-a-token"), additional_headers=cookie) as ws:
        assert read_to_close(ws) == ([], 4401)


def test_a_page_of_another_site_is_refused(gateway: Gateway, trader: Trader) -> None:
    with pytest.raises(InvalidStatus) as refused:
        connect(gateway.url(trader.token), origin=Origin("https://elsewhere.example"))
    assert refused.value.response.status_code == 403


def test_a_redelivered_message_is_pushed_once(
    gateway: Gateway, trader: Trader, writer: EnvelopeWriter
) -> None:
    order, marker = order_id(), order_id()
    with connect(gateway.url(trader.token)) as ws:
        subscribe(ws)
        for seq in (1, 2):
            payload = delta(trader, order, seq)
            publish(writer, payload, message_id=f"m-{order}-{seq}")
            publish(writer, payload, message_id=f"m-{order}-{seq}")  # at least once
        publish(writer, delta(trader, order, 1))  # an older seq under a new id: old news
        publish(writer, delta(trader, order, 3), delta(trader, marker, 1))
        got = receive_until(ws, marker, 1)
    assert seqs(got, order) == [1, 2, 3]


def test_a_gap_in_seq_is_visible_to_the_client(
    gateway: Gateway, trader: Trader, writer: EnvelopeWriter
) -> None:
    order = order_id()
    with connect(gateway.url(trader.token)) as ws:
        subscribe(ws)
        publish(writer, *(delta(trader, order, seq) for seq in (1, 2, 5, 6)))
        assert seqs(receive_until(ws, order, 6), order) == [1, 2, 5, 6]


def test_a_bad_client_message_is_answered_and_the_connection_lives_on(
    gateway: Gateway, trader: Trader, writer: EnvelopeWriter
) -> None:
    order = order_id()
    with connect(gateway.url(trader.token)) as ws:
        for bad in (
            "{not json",
            json.dumps([1, 2]),
            json.dumps({"action": "dance"}),
            json.dumps({"action": "subscribe", "orders": 5}),
            json.dumps({"action": "subscribe", "orders": [1]}),
            "x" * 70_000,
            b"\x00binary",
        ):
            ws.send(bad)
            answer = receive(ws)
            assert answer["type"] == "error" and answer["detail"], answer
        subscribe(ws)
        publish(writer, delta(trader, order, 1))
        assert seqs(receive_until(ws, order, 1), order) == [1]


def _unread_socket(port: int) -> socket.socket:
    """A client socket with a tiny receive buffer: what it does not read backs up quickly."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", port))
    return sock


def test_a_client_that_does_not_read_is_closed_with_4408_and_the_others_get_everything(
    gateway: Gateway, trader: Trader, writer: EnvelopeWriter
) -> None:
    orders, per_order = [order_id() for _ in range(20)], 200
    slow_socket = _unread_socket(gateway.port)
    with (
        connect(gateway.url(trader.token), sock=slow_socket, max_queue=1) as slow,
        connect(gateway.url(trader.token), max_queue=None) as fast,
    ):
        subscribe(slow)
        subscribe(fast)
        got: list[dict[str, Any]] = []
        for first in range(1, per_order + 1, 10):  # in lock step with the fast client
            seqs_now = range(first, first + 10)
            publish(writer, *(delta(trader, o, seq) for seq in seqs_now for o in orders))
            got += receive_until(fast, orders[-1], seqs_now[-1])
        for order in orders:
            assert seqs(got, order) == list(range(1, per_order + 1))
        taken, code = read_to_close(slow)  # it reads only now: what its socket held, then 4408
    assert code == 4408, gateway.log()[-3000:]
    assert taken[-1] == {
        "type": "error",
        "detail": "too far behind: fetch snapshots and reconnect",
    }
    by_order: dict[str, list[int]] = defaultdict(list)
    for message in taken[:-1]:
        by_order[message["order_id"]].append(message["seq"])
    assert sum(map(len, by_order.values())) < len(orders) * per_order - QUEUE_MAX
    for received in by_order.values():
        assert received == sorted(set(received))  # in order, each once, maybe with a gap
