"""The projector on real envelopes: the store's outbox published to a real Kafka-protocol broker
by trading-core's publisher, read back, projected; and a rebuild from the store equals it."""

from __future__ import annotations

import json
import threading
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from confluent_kafka import TopicPartition
from django.core.management import call_command
from django.db import connections
from prometheus_client import REGISTRY

from backoffice import events as ev
from backoffice import models as rm
from backoffice import projector
from backoffice.rebuild import read_models_rebuild
from infra.bus import kafka
from infra.bus.consume import consume
from infra.store.api import Database, run
from tests.integration.backoffice.conftest import Seed, minor, place
from tests.support.api import apply
from tests.support.platform import eventually
from tests.support.reports import report
from trading import outbox
from trading.publisher import Publisher
from trading.repository import Repository
from trading.sinks import KafkaEventSink
from wiring.consumers import CONSUMERS

EVENT_TOPICS = (ev.ORDER_TOPIC, ev.FILL_TOPIC, ev.LEDGER_TOPIC)


class RecordingProducer:
    """A producer that notes where each message landed (topic, partition, offset).

    Reading "what this test wrote" by offsets, because the local broker's high watermark can
    lag behind a multi-record batch (see the report), so "everything after the watermark" is
    not exact there.
    """

    def __init__(self) -> None:
        self.producer = kafka.producer()
        self.landed: list[tuple[str, int, int]] = []

    def produce(self, *args: Any, on_delivery: Any = None, **kwargs: Any) -> None:
        def delivered(error: Any, message: Any) -> None:
            if error is None:
                self.landed.append((message.topic(), message.partition(), message.offset()))
            if on_delivery is not None:
                on_delivery(error, message)

        self.producer.produce(*args, **{**kwargs, "on_delivery": delivered})

    def __getattr__(self, name: str) -> Any:
        return getattr(self.producer, name)


def read_landed(landed: list[tuple[str, int, int]], timeout_s: float = 20) -> list:
    """Exactly the messages at `landed`, in each partition's order."""
    wanted = set(landed)
    start: dict[tuple[str, int], int] = {}
    for topic, partition, offset in landed:
        start[(topic, partition)] = min(offset, start.get((topic, partition), offset))
    reader = kafka.consumer(f"reader-{uuid.uuid4().hex}")
    reader.assign([TopicPartition(t, p, offset) for (t, p), offset in start.items()])
    got: list = []

    def more() -> bool:
        for m in reader.consume(200, 0.1):
            if not m.error() and (m.topic(), m.partition(), m.offset()) in wanted:
                got.append(m)
        return len(got) >= len(wanted)

    try:
        eventually(more, timeout_s, what=f"{len(wanted)} messages")
    finally:
        reader.close()
    return got


def publish_outbox(db: Database) -> RecordingProducer:
    """trading-core's publisher, its events to the test broker through KafkaEventSink."""
    producer = RecordingProducer()
    publisher = Publisher(
        db,
        send_events=KafkaEventSink(producer),  # a Producer in all it uses
        send_commands=lambda _: None,
        name=f"bo-{uuid.uuid4().hex[:8]}",
    )
    while publisher.publish_batch():
        pass
    return producer


def published(db: Database) -> list:
    return read_landed(publish_outbox(db).landed)


def read_models() -> dict[str, list[Any]]:
    """Every projected row, without database ids: what two builds must agree on."""

    def rows(model: Any, order: str, *exclude: str) -> list[dict[str, Any]]:
        names = [f.attname for f in model._meta.concrete_fields if f.attname not in exclude]
        return list(model.objects.order_by(order).values(*names))

    return {
        "orders": rows(rm.Order, "order_id", "id"),
        "fills": rows(rm.Fill, "fill_id", "id"),
        "entries": rows(rm.LedgerEntry, "entry_id", "id"),
        "postings": sorted(
            rm.Posting.objects.values_list("entry__entry_id", "account", "asset", "amount_minor")
        ),
        "balances": rows(rm.Balance, "account", "id"),
        "positions": rows(rm.Position, "trader_id", "id"),
    }


@pytest.fixture
def story(seed: Seed) -> Seed:
    """The seed's buy, then a sell of 1 BTC at SIM-B's bid (a realized loss) and an open order."""
    sell = place(seed.db, seed.trader.trader_id, side="sell", quantity="1.0", limit_price="9900")
    order = run(seed.db, lambda tr: Repository(tr).order(sell))
    venue = order.attempts[0].venue
    apply(seed.db, report(sell, "EA-1", venue, "trade", cum="1.0", qty="1.0", price="9975"))
    place(seed.db, seed.trader.trader_id, quantity="0.5", limit_price="9000")
    return seed


def test_the_events_project_the_seed_and_a_second_pass_changes_nothing(story, kafka_bootstrap):
    messages = published(story.db)
    assert projector.handle_messages(messages) == []
    first = read_models()
    processed = rm.ProcessedMessage.objects.count()
    assert processed == len(messages)

    assert projector.handle_messages(messages) == []  # at least once: the same batch again
    assert read_models() == first
    assert rm.ProcessedMessage.objects.count() == processed

    order = rm.Order.objects.get(order_id=story.order_id)
    assert (order.state, order.seq, order.filled_quantity) == ("filled", 6, 3)
    assert order.average_price == 9983
    assert [a["attempt_id"] for a in order.attempts] == ["EA-1", "EA-2"]
    assert order.created_at is not None
    assert sorted(order.fills.values_list("venue", "quantity")) == [
        ("SIM-A", Decimal("1.2")),
        ("SIM-B", Decimal("1.8")),
    ]
    position = rm.Position.objects.get(trader_id=story.trader.trader_id, instrument="BTC-USD")
    store = run(story.db, lambda tr: Repository(tr).position(story.trader.trader_id, "BTC-USD"))
    assert (position.quantity, position.cost_basis, position.realized_pnl) == (
        store.quantity,
        store.cost_basis,
        store.realized_pnl,
    )
    assert (position.quantity, position.realized_pnl) == (2, Decimal("-8"))  # sold 1 @ 9975
    btc = rm.Balance.objects.get(account=f"trader:{story.trader.trader_id}", asset="BTC")
    assert btc.amount_minor == minor("102")
    state = rm.ProjectorState.objects.get(name="projector")
    assert state.messages_total == processed


def test_its_lag_is_the_age_of_the_newest_event_it_applied(seed, kafka_bootstrap, monkeypatch):
    applied_at = datetime.now(UTC)

    class Clock(datetime):  # the projector's clock, stopped: the lag is exact however slow we are
        @classmethod
        def now(cls, tz=None):
            return applied_at

    monkeypatch.setattr(projector, "datetime", Clock)
    message = published(seed.db)[0]
    body = json.loads(message.value())
    body["created_at"] = (applied_at - timedelta(seconds=30)).isoformat()
    projector.handle_messages([_Renamed(message, value=json.dumps(body).encode())])
    assert REGISTRY.get_sample_value("backoffice_projector_lag_seconds") == 30.0


def test_a_rebuild_from_the_store_equals_what_the_projector_built(story, kafka_bootstrap, capsys):
    projector.handle_messages(published(story.db))
    projected = read_models()
    rm.DeadLetter.objects.create(
        message_id="dlq:x/0/1",
        topic=ev.DLQ_TOPIC,
        partition=0,
        offset=1,
        dead_lettered_at=rm.Order.objects.first().updated_at,
    )

    call_command("rebuild_read_models")
    assert read_models() == projected
    assert "3 orders, 3 fills" in capsys.readouterr().out
    assert rm.DeadLetter.objects.count() == 1  # only ever on Kafka: a rebuild keeps them

    # After a rebuild the projector catches up without counting anything twice.
    more = place(story.db, story.trader.trader_id, quantity="0.2", limit_price="9000")
    messages = published(story.db)  # the new order's delta (the store's outbox from here)
    assert any(json.loads(m.value())["key"] == more for m in messages)
    projector.handle_messages(messages)
    read_models_rebuild()
    assert read_models()["balances"] == projected["balances"]
    assert rm.Order.objects.filter(order_id=more).exists()


def test_deltas_out_of_order_and_records_under_new_ids_change_nothing(story, kafka_bootstrap):
    messages = published(story.db)
    projector.handle_messages(list(reversed(messages)))  # an old seq never overwrites a new one
    backwards = read_models()
    order = rm.Order.objects.get(order_id=story.order_id)
    assert (order.seq, order.state) == (6, "filled")

    # The same records under new message ids (a replay by another publisher): no new effect.
    renamed = [_Renamed(m) for m in messages]
    assert projector.handle_messages(renamed) == []
    assert read_models() == backwards


def test_dead_lettered_reports_are_projected_once(seed, kafka_bootstrap):
    kafka.ensure_topics([ev.DLQ_TOPIC])
    producer = RecordingProducer()
    source = f"evt.venue.execution.report.v1/1/{uuid.uuid4().int % 10**6}"
    headers = {"reason": b"unparseable report: expected an object", "source": source.encode()}
    for _ in range(2):  # ingest replayed its batch: the same report dead-lettered twice
        producer.produce(ev.DLQ_TOPIC, key=b"O-x", value=b"{not json", headers=headers)
    producer.flush(10)
    messages = read_landed(producer.landed)
    assert projector.handle_messages(messages) == []
    assert projector.handle_messages(messages) == []
    letter = rm.DeadLetter.objects.get()
    assert (letter.source, letter.value, letter.key) == (source, "{not json", "O-x")
    assert letter.reason.startswith("unparseable report")


def test_what_it_cannot_read_is_refused_and_the_rest_is_applied(seed, kafka_bootstrap):
    messages = published(seed.db)
    garbage = _Renamed(messages[0], value=b'{"message_id": "m"}')
    refused = projector.handle_messages([garbage, *messages])
    assert [(m, reason.split(":")[0]) for m, reason in refused] == [
        (garbage, f"bad {messages[0].topic()} message")
    ]
    assert rm.Order.objects.filter(order_id=seed.order_id, seq=6).exists()


def test_a_message_the_read_models_cannot_hold_is_refused_alone(seed, kafka_bootstrap):
    messages = published(seed.db)
    delta = next(m for m in messages if m.topic() == ev.ORDER_TOPIC)
    body = json.loads(delta.value())
    body["message_id"] = "too-long"
    # Longer than any order id trading-core makes and its column, within the contract (256).
    body["payload"]["order_id"] = "O" * 200
    too_long = _Renamed(delta, value=json.dumps(body).encode())
    refused = projector.handle_messages([*messages, too_long])
    assert [m for m, _ in refused] == [too_long]
    assert refused[0][1].startswith("cannot be stored")
    assert rm.Order.objects.get(order_id=seed.order_id).seq == 6
    assert not rm.ProcessedMessage.objects.filter(message_id="too-long").exists()


@pytest.mark.django_db(transaction=True)
def test_the_registered_projector_runs_on_kafka(story, kafka_bootstrap, tmp_path, monkeypatch):
    monkeypatch.setenv("VAR_DIR", str(tmp_path))
    spec = CONSUMERS["projector"]()
    assert spec.topics == [*EVENT_TOPICS, ev.DLQ_TOPIC]
    assert spec.group_id == "backoffice-projector"
    publish_outbox(story.db)
    stop = threading.Event()

    def run_projector() -> None:
        try:
            consume(spec, stop)
        finally:
            connections.close_all()

    worker = threading.Thread(target=run_projector)
    worker.start()
    try:
        eventually(
            lambda: rm.Order.objects.filter(order_id=story.order_id, seq=6).exists(),
            what="the seed's order projected at seq 6",
        )
        eventually(
            lambda: rm.Position.objects.filter(
                trader_id=story.trader.trader_id, quantity=2
            ).exists(),
            what="the position projected",
        )
    finally:
        stop.set()
        worker.join(30)
    assert not worker.is_alive()
    assert rm.ProjectorState.objects.get(name="projector").messages_total > 0


class _Renamed:
    """A real message, under another message id (or with another value)."""

    def __init__(self, message: Any, value: bytes | None = None) -> None:
        self.message = message
        if value is None:
            body = json.loads(message.value())
            body["message_id"] = f"replayed:{body['message_id']}"
            value = json.dumps(body).encode()
        self._value = value

    def value(self) -> bytes:
        return self._value

    def __getattr__(self, name: str) -> Any:
        return getattr(self.message, name)


def test_the_outbox_has_every_kind_of_event(seed):
    rows = run(seed.db, lambda tr: outbox.read_after(tr, None, 1000))
    topics = {m.topic for _, m in rows}
    assert set(EVENT_TOPICS) <= topics
