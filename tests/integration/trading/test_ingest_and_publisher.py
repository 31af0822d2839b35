"""Ingest and the outbox publisher against a real Kafka-protocol broker and a real store."""

from __future__ import annotations

import json
import threading
import uuid
from decimal import Decimal

from confluent_kafka import TopicPartition

from infra.bus import kafka
from infra.bus.consume import ConsumerSpec, consume
from infra.store.api import run
from tests.support.platform import eventually
from tests.support.reports import NOW, report, wire
from tests.support.store import TRADER
from trading import ingest, outbox
from trading.publisher import Publisher
from trading.repository import Repository
from trading.services.place import PlaceOrder, place_order
from trading.sinks import KafkaEventSink


def read_topic(topic: str, expected: int, key_prefix: bytes = b"", timeout_s: float = 15) -> list:
    """This test's messages on a topic other tests of the session publish to as well."""
    consumer = kafka.consumer(f"reader-{uuid.uuid4().hex}")
    consumer.assign([TopicPartition(topic, p, 0) for p in range(kafka.PARTITIONS)])
    got: list = []

    def all_read() -> bool:
        got.extend(
            m
            for m in consumer.consume(500, 0.1)
            if not m.error() and (m.key() or b"").startswith(key_prefix)
        )
        return len(got) >= expected

    try:
        eventually(
            all_read,
            timeout_s,
            what=f"{expected} messages on {topic}",
        )
    finally:
        consumer.close()
    return got


def test_ingest_applies_reports_and_dead_letters_what_it_cannot_parse(seeded_db, kafka_bootstrap):
    topic, dlq = f"reports-{uuid.uuid4().hex[:6]}", f"reports-dlq-{uuid.uuid4().hex[:6]}"
    command = PlaceOrder(TRADER, "O-ingest", "BTC-USD", "buy", "3.0", "10000")
    run(seeded_db, lambda tr: place_order(tr, command, NOW))
    kafka.ensure_topics([topic, dlq])
    producer = kafka.producer()
    fill = report("O-ingest", "EA-1", "SIM-A", "trade", cum="1.2", qty="1.2", price="9980")
    producer.produce(topic, key=b"O-ingest", value=b"{not json")
    producer.produce(topic, key=b"O-ingest", value=b'{"message_id": "m", "venue": "SIM-A"}')
    producer.produce(topic, key=b"O-ingest", value=wire(fill))
    producer.produce(topic, key=b"O-ingest", value=wire(fill))  # redelivered: applied once
    producer.flush(10)
    spec = ConsumerSpec(
        "ingest-test",
        topic,
        f"ingest-{uuid.uuid4().hex}",
        lambda ms: ingest.handle_messages(seeded_db, ms),
        dlq,
    )
    stop = threading.Event()
    worker = threading.Thread(target=consume, args=(spec, stop))
    worker.start()
    try:
        order = eventually(
            lambda: (
                (o := run(seeded_db, lambda tr: Repository(tr).order("O-ingest"))).filled_quantity
                and o
            ),
            what="the fill applied",
        )
        dead = read_topic(dlq, 2)
    finally:
        stop.set()
        worker.join(30)
    assert order.filled_quantity == Decimal("1.2")
    reasons = sorted(dict(m.headers())["reason"].decode() for m in dead)
    assert all(r.startswith("unparseable report") for r in reasons)
    assert any("cum_quantity" in r or "required" in r for r in reasons)


def test_publisher_moves_the_outbox_to_kafka_once_per_id_and_a_standby_takes_over(
    seeded_db, kafka_bootstrap
):
    for i in range(3):
        command = PlaceOrder(TRADER, f"O-pub-{i}", "BTC-USD", "buy", "1.0", "10000")
        run(seeded_db, lambda tr, c=command: place_order(tr, c, NOW))
    commands: list = []
    events = KafkaEventSink(kafka.producer())
    first = Publisher(
        seeded_db,
        send_events=events,
        send_commands=commands.extend,
        lease_ttl_s=0.3,
        name="pub-test",
    )
    standby = Publisher(
        seeded_db,
        send_events=events,
        send_commands=commands.extend,
        lease_ttl_s=0.3,
        name="pub-test",
    )
    assert first.publish_batch() > 0
    assert standby.publish_batch() == 0  # the first holds the lease
    # The first publisher dies; after its lease lapses the standby publishes what came since.
    more = PlaceOrder(TRADER, "O-pub-late", "BTC-USD", "buy", "1.0", "10000")
    run(seeded_db, lambda tr: place_order(tr, more, NOW))
    eventually(lambda: standby.publish_batch() > 0, 5, what="the standby to take over")
    deltas = [json.loads(m.value()) for m in read_topic(outbox.ORDER_EVENTS, 4, b"O-pub-")]
    ids = [d["message_id"] for d in deltas]
    assert len(ids) == len(set(ids)) == 4
    assert {d["key"] for d in deltas} == {"O-pub-0", "O-pub-1", "O-pub-2", "O-pub-late"}
    assert [c.payload.attempt_id for c in commands] == ["EA-1"] * 4
    assert {c.destination for c in commands} == {"venue.SIM-A"}
