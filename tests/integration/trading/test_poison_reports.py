"""Ingest on the real broker: a report it cannot apply never stalls the reports after it.

A report that breaks the instrument's rules is quarantined in the store with its reason; a
message the store transaction fails on is dead-lettered with its error; the others apply.
"""

from __future__ import annotations

import threading
import uuid
from decimal import Decimal

import pytest
from confluent_kafka import TopicPartition

from infra.bus import kafka
from infra.bus.consume import ConsumerSpec, consume
from infra.store.api import run
from tests.support.platform import eventually
from tests.support.reports import NOW, report, wire
from tests.support.store import TRADER
from trading import ingest
from trading.repository import Repository
from trading.services.place import PlaceOrder, place_order


def place(seeded_db, order_id: str) -> None:
    command = PlaceOrder(TRADER, order_id, "BTC-USD", "buy", "3.0", "10000")
    run(seeded_db, lambda tr: place_order(tr, command, NOW))


def fill(order_id: str, qty: str = "1.2"):
    return report(order_id, "EA-1", "SIM-A", "trade", cum=qty, qty=qty, price="9980")


def filled(seeded_db, order_id: str) -> Decimal:
    return run(seeded_db, lambda tr: Repository(tr).order(order_id).filled_quantity)


@pytest.fixture
def ingest_on(seeded_db, kafka_bootstrap):
    """Runs ingest on fresh topics; yields (topic, dead-letter topic)."""
    topic, dlq = f"reports-{uuid.uuid4().hex[:6]}", f"reports-dlq-{uuid.uuid4().hex[:6]}"
    kafka.ensure_topics([topic, dlq])
    spec = ConsumerSpec(
        "ingest-poison",
        topic,
        f"ingest-{uuid.uuid4().hex}",
        lambda ms: ingest.handle_messages(seeded_db, ms),
        dlq,
    )
    started: list[threading.Thread] = []
    stop = threading.Event()

    def start() -> None:
        worker = threading.Thread(target=consume, args=(spec, stop))
        worker.start()
        started.append(worker)

    yield topic, dlq, start
    stop.set()
    for worker in started:
        worker.join(30)
        assert not worker.is_alive()


def send(topic: str, values: list[tuple[str, bytes]]) -> None:
    producer = kafka.producer(**{"message.max.bytes": 2_000_000})
    for key, value in values:
        producer.produce(topic, key=key.encode(), value=value, partition=0)
    assert producer.flush(15) == 0


def read_all(topic: str, expected: int) -> list:
    consumer = kafka.consumer(f"reader-{uuid.uuid4().hex}")
    consumer.assign([TopicPartition(topic, p, 0) for p in range(kafka.PARTITIONS)])
    got: list = []

    def all_read() -> bool:
        got.extend(m for m in consumer.consume(100, 0.1) if not m.error())
        return len(got) >= expected

    try:
        eventually(
            all_read,
            what=f"{expected} messages on {topic}",
        )
    finally:
        consumer.close()
    return got


def test_a_trade_of_one_billionth_of_a_btc_is_quarantined_and_later_orders_go_on(
    seeded_db, ingest_on
):
    topic, _, start = ingest_on
    place(seeded_db, "O-tiny")
    place(seeded_db, "O-after")
    tiny = fill("O-tiny", qty="0.000000001")
    send(topic, [("O-tiny", wire(tiny)), ("O-after", wire(fill("O-after")))])
    start()
    eventually(
        lambda: filled(seeded_db, "O-after") == Decimal("1.2"), what="the later order's fill"
    )
    assert filled(seeded_db, "O-tiny") == 0
    quarantined = run(seeded_db, lambda tr: Repository(tr).quarantined())
    [record] = [q for q in quarantined if q["order_id"] == "O-tiny"]
    assert record["exec_id"] == tiny.exec_id
    assert "last_quantity 0.000000001 has more than 8 decimals" in str(record["reason_refused"])


@pytest.mark.parametrize(
    ("qty", "price", "reason"),
    [
        ("0.00005", "9980", "not a multiple of the quantity step 0.0001"),
        ("1.2", "9980.005", "not a multiple of the price tick 0.01"),
        ("-1.2", "9980", "last_quantity -1.2 is negative"),
        ("1e999999", "9980", "out of bounds"),
        ("1.2", "123456789012345678901234567890123", "out of bounds"),
    ],
)
def test_reports_off_the_instruments_rules_are_quarantined_with_their_reason(
    seeded_db, ingest_on, qty, price, reason
):
    topic, _, start = ingest_on
    place(seeded_db, "O-rule")
    place(seeded_db, "O-ok")
    bad = report("O-rule", "EA-1", "SIM-A", "trade", cum="0", qty="0", price="0", fee="0")
    send(
        topic,
        [
            ("O-rule", wire(bad, cum_quantity="0", last_quantity=qty, last_price=price)),
            ("O-ok", wire(fill("O-ok"))),
        ],
    )
    start()
    eventually(lambda: filled(seeded_db, "O-ok") == Decimal("1.2"), what="the other order's fill")
    quarantined = run(seeded_db, lambda tr: Repository(tr).quarantined())
    [record] = [q for q in quarantined if q["order_id"] == "O-rule"]
    assert reason in str(record["reason_refused"])
    assert filled(seeded_db, "O-rule") == 0


def test_a_report_the_store_cannot_hold_is_dead_lettered_and_the_rest_of_the_batch_applies(
    seeded_db, ingest_on
):
    topic, dlq, start = ingest_on
    orders = [f"O-batch-{i}" for i in range(5)]
    for order_id in orders:
        place(seeded_db, order_id)
    poison = fill("O-batch-2")
    # 150 kB of raw venue payload: over the store's 100 kB value limit, whatever we retry.
    values = [(o, wire(fill(o))) for o in orders[:2]]
    values.append(("O-batch-2", wire(poison, raw={"blob": "x" * 150_000})))
    values += [(o, wire(fill(o))) for o in orders[3:]]
    send(topic, values)
    start()
    [dead] = read_all(dlq, 1)
    headers = dict(dead.headers())
    assert dead.value() == values[2][1]
    assert headers["reason"].decode().startswith("handler failed:")
    assert "FDBError" in headers["error"].decode()
    assert "2103" in headers["error"].decode()  # value_too_large
    assert headers["source"].decode() == f"{topic}/0/2"
    for order_id in orders[:2] + orders[3:]:
        assert filled(seeded_db, order_id) == Decimal("1.2")
    assert filled(seeded_db, "O-batch-2") == 0
