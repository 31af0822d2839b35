"""The venue pool's tasks against a fake adapter: a redelivered place is asked about first, a
cancel the venue cannot take yet is retried, and one past its send deadline ends here."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from celery.exceptions import Retry

from infra.store.api import run
from tests.support.store import TRADER
from trading import publisher
from trading.repository import Repository
from trading.services.place import PlaceOrder, place_order
from trading.services.working import cancel_command, place_command
from venues import runtime, tasks
from venues.adapters.sim.adapter import CancelNotDelivered, CancelTooEarly


class FakeAdapter:
    def __init__(self, cancel_raises: Exception | None = None) -> None:
        self.cancel_raises = cancel_raises
        self.places: list[bool] = []  # ask_first of each place

    def place(self, command, send_before=None, ask_first=False) -> str:
        self.places.append(ask_first)
        return "sent"

    def cancel(self, command) -> str:
        if self.cancel_raises is not None:
            raise self.cancel_raises
        return "canceled"


@pytest.fixture
def emitted(monkeypatch):
    reports: list = []
    monkeypatch.setattr(runtime, "emit_report", reports.append)
    monkeypatch.setattr(runtime, "flush_reports", lambda: None)
    return reports


def envelope(seeded_db, created: datetime, *, cancel: bool = False) -> str:
    command = PlaceOrder(TRADER, "O-task", "BTC-USD", "buy", "0.5", "10000")
    order_id = run(seeded_db, lambda tr: place_order(tr, command, created)).order.order_id

    def build(tr):
        repo = Repository(tr)
        order = repo.order(order_id)
        if cancel:
            return cancel_command(order, order.attempts[-1], created)
        return place_command(order, order.attempts[-1], repo.instrument(order.instrument), created)

    return publisher.envelope(run(seeded_db, build)).decode()  # as the command sink sends it


def using(monkeypatch, adapter: FakeAdapter) -> FakeAdapter:
    monkeypatch.setattr(runtime, "adapter", lambda venue: adapter)
    return adapter


def test_a_redelivered_place_is_asked_about_first(seeded_db, monkeypatch):
    adapter = using(monkeypatch, FakeAdapter())
    command = envelope(seeded_db, datetime.now(UTC))
    tasks.place_attempt.run(command)
    tasks.place_attempt.run(command)
    assert adapter.places == [False, True]


@pytest.mark.parametrize("error", [CancelTooEarly("not yet"), CancelNotDelivered("down")])
def test_a_cancel_the_venue_cannot_take_yet_is_retried(seeded_db, monkeypatch, emitted, error):
    using(monkeypatch, FakeAdapter(cancel_raises=error))
    with pytest.raises(Retry) as retried:
        tasks.cancel_attempt.run(envelope(seeded_db, datetime.now(UTC), cancel=True))
    assert retried.value.__cause__ is error
    assert emitted == []


def test_a_cancel_past_the_place_s_deadline_ends_the_attempt_here(seeded_db, monkeypatch, emitted):
    using(monkeypatch, FakeAdapter(cancel_raises=CancelTooEarly("never seen")))
    command = envelope(seeded_db, datetime.now(UTC) - timedelta(minutes=5), cancel=True)
    assert tasks.cancel_attempt.run(command) == "canceled-unseen"
    [report] = emitted
    assert (report.attempt_id, report.exec_type) == ("EA-1", "canceled")


@pytest.mark.parametrize("task", [tasks.place_attempt, tasks.cancel_attempt])
def test_a_command_that_breaks_its_contract_is_refused_with_its_reason(
    seeded_db, monkeypatch, task
):
    adapter = using(monkeypatch, FakeAdapter())
    good = json.loads(envelope(seeded_db, datetime.now(UTC), cancel=task is tasks.cancel_attempt))
    good["payload"]["order_id"] = 42
    answer = task.run(json.dumps(good))
    assert answer.startswith("refused: bad cmd.venue.")
    assert "`$.payload.order_id`" in answer
    assert adapter.places == []


def test_a_cancel_the_venue_answers_is_its_answer(seeded_db, monkeypatch, emitted):
    using(monkeypatch, FakeAdapter())
    assert (
        tasks.cancel_attempt.run(envelope(seeded_db, datetime.now(UTC), cancel=True)) == "canceled"
    )
