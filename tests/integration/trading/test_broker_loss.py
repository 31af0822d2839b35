"""A Kafka broker that restarts without its log: the publisher republishes the retained events.

Real broker (Tansu keeps nothing on disk), killed with SIGKILL and started again on the same
port; a consumer that was not running meanwhile must still see every event of the outbox.
"""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta

from infra.bus import kafka
from infra.bus.consume import ConsumerSpec, consume
from infra.store.api import run
from tests.support.platform import eventually
from tests.support.reports import NOW
from tests.support.store import TRADER
from trading import outbox
from trading.publisher import Publisher
from trading.services.place import PlaceOrder, place_order
from trading.sinks import KafkaEventSink

EVENT_TOPICS = [outbox.ORDER_EVENTS, outbox.FILL_EVENTS, outbox.LEDGER_EVENTS]


def place(seeded_db, order_id: str, when: datetime | None = None) -> None:
    """An order placed now (rows of the seed's day are past the retention window)."""
    command = PlaceOrder(TRADER, order_id, "BTC-USD", "buy", "1.0", "10000")
    run(seeded_db, lambda tr: place_order(tr, command, when or datetime.now(UTC)))


def event_ids(seeded_db) -> set[str]:
    rows = run(seeded_db, lambda tr: outbox.read_after(tr, None, 10_000))
    return {m.message_id for _, m in rows if not m.is_command}


def test_events_published_before_the_broker_lost_its_log_reach_a_consumer_after(
    seeded_db, restartable_broker
):
    kafka.ensure_topics(EVENT_TOPICS)
    events = KafkaEventSink(kafka.RecreatingProducer())
    commands: list = []
    publisher = Publisher(
        seeded_db,
        send_events=events,
        send_commands=commands.extend,
        name=f"pub-{uuid.uuid4().hex[:6]}",
        check_log=events.lost_log,
        retention_s=30 * 24 * 3600,  # the seed's deposits are dated days ago: keep them
    )
    for i in range(3):
        place(seeded_db, f"O-before-{i}")
    assert publisher.publish_batch() > 0  # acknowledged by the first broker
    restartable_broker()  # kill -9, and a new broker, empty, on the same port
    for i in range(2):
        place(seeded_db, f"O-after-{i}")
    seen: set[str] = set()
    spec = ConsumerSpec(
        "loss-reader",
        EVENT_TOPICS[0],
        f"loss-{uuid.uuid4().hex}",
        lambda ms: seen.update(dict(m.headers())["message_id"].decode() for m in ms) or [],
        "loss-reader.dlq",
        extra_topics=tuple(EVENT_TOPICS[1:]),
    )
    stop = threading.Event()
    threads = [
        threading.Thread(target=publisher.run, args=(stop,)),
        threading.Thread(target=consume, args=(spec, stop)),
    ]
    for thread in threads:
        thread.start()
    try:
        expected = event_ids(seeded_db)
        eventually(lambda: expected <= seen, 60, 0.2, what="every event after the loss")
    finally:
        stop.set()
        for thread in threads:
            thread.join(60)
        events.close()
    assert {c.payload.order_id for c in commands} >= {"O-before-0", "O-after-1"}
    # Commands went to Celery, which lost nothing: each was sent once, never replayed.
    assert len(commands) == len({c.message_id for c in commands}) == 5


def test_published_rows_older_than_the_retention_window_are_pruned_in_bounded_batches(seeded_db):
    for i in range(3):
        place(seeded_db, f"O-old-{i}", NOW - timedelta(hours=2))
    sent: list = []
    publisher = Publisher(
        seeded_db,
        send_events=sent.extend,
        send_commands=sent.extend,
        name="prune",
        retention_s=3600,
    )
    assert publisher.publish_batch() == len(sent) > 0
    place(seeded_db, "O-unpublished", NOW - timedelta(hours=2))
    publisher.retention_s = 3 * 3600 + (datetime.now(UTC) - NOW).total_seconds()
    assert publisher.prune() == 0  # nothing is older than the window yet
    publisher.retention_s = 3600
    assert publisher.prune() == len(sent)  # published rows only: the last order's stay
    left = run(seeded_db, lambda tr: outbox.read_after(tr, None, 100))
    assert {m.key for _, m in left} == {"O-unpublished"}


class OffsetSink:
    """Records what it is sent; acknowledges with the offsets a test gives it."""

    def __init__(self) -> None:
        self.sent: list = []
        self.next_offset = 0

    def __call__(self, messages):
        self.sent += [m.message_id for m in messages]
        offsets = {("evt", 0): self.next_offset + len(messages) - 1} if messages else {}
        self.next_offset += len(messages)
        return offsets


def test_an_offset_kafka_gave_before_means_a_lost_log_and_only_events_are_sent_again(seeded_db):
    sink, commands = OffsetSink(), []
    publisher = Publisher(
        seeded_db, send_events=sink, send_commands=commands.extend, name="marks", retention_s=1e9
    )
    place(seeded_db, "O-1")
    publisher.publish_batch()
    first = list(sink.sent)
    sink.next_offset = 0  # a new broker: offsets start again
    place(seeded_db, "O-2")
    publisher.publish_batch()  # its offsets are at or below the recorded one: replay starts
    sink.sent.clear()
    publisher.publish_batch()
    assert set(first) <= set(sink.sent)  # the events the old broker lost are sent again
    assert len(commands) == 2  # and commands are not
    assert run(seeded_db, lambda tr: outbox.replay(tr, "marks")) is None  # the replay is done
