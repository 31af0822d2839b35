"""The read models after the Kafka broker lost its log: the publisher replays the retained
events and the registered projector catches up until the read models equal the store."""

from __future__ import annotations

import threading

import pytest
from django.db import connections

from backoffice.models import Order
from backoffice.reports import reconciliation
from infra.bus import kafka
from infra.bus.consume import consume
from tests.support.platform import eventually
from trading import outbox
from trading.publisher import Publisher
from trading.sinks import KafkaEventSink
from wiring.consumers import CONSUMERS


@pytest.mark.django_db(transaction=True)
def test_read_models_equal_the_store_after_the_broker_restarted_empty(
    seed, restartable_broker, tmp_path, monkeypatch
):
    monkeypatch.setenv("VAR_DIR", str(tmp_path))
    kafka.ensure_topics([outbox.ORDER_EVENTS, outbox.FILL_EVENTS, outbox.LEDGER_EVENTS])
    events = KafkaEventSink(kafka.RecreatingProducer())
    publisher = Publisher(
        seed.db,
        send_events=events,
        send_commands=lambda _: None,
        name="bo-loss",
        check_log=events.lost_log,
        retention_s=3650 * 24 * 3600,  # the seed is dated days ago: keep every row
    )
    while publisher.publish_batch():
        pass  # every event acknowledged by the first broker; the projector was not running
    restartable_broker()  # kill -9, then a new, empty broker on the same port
    assert not Order.objects.exists()
    stop = threading.Event()

    def run_projector() -> None:
        try:
            consume(CONSUMERS["projector"](), stop)
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=publisher.run, args=(stop,)),
        threading.Thread(target=run_projector),
    ]
    for thread in threads:
        thread.start()
    try:
        result = eventually(
            lambda: (r := reconciliation()).ok and r.orders_in_read_model and r,
            90,
            0.5,
            what="read models equal to the store",
        )
    finally:
        stop.set()
        for thread in threads:
            thread.join(60)
        events.close()
    assert result.orders_in_read_model == result.orders_in_store > 0
    assert result.balances_checked > 0
