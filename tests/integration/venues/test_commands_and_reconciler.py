"""Venue commands check the store before they touch the venue, and the reconciler pages through
the live attempts and feeds what the venue says: the real store and the real simulator."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from infra.store.api import run
from tests.integration.simulator.support import running_simulator
from tests.support.reports import wire
from tests.support.store import TRADER
from trading import publisher
from trading.ingest import parse_report
from trading.repository import Repository
from trading.services.execution import apply_execution_report
from trading.services.place import PlaceOrder, place_order
from trading.services.working import cancel_command, place_command
from venues import runtime, tasks
from venues.adapters.sim.client import VenueClient
from venues.recovery import reconciler as reconciler_module
from venues.recovery.reconciler import Reconciler


@pytest.fixture
def simulator(tmp_path, settings):
    with running_simulator(tmp_path) as url:
        settings.VENUE_SIMULATOR_URL = url
        runtime.reset()
        httpx.put(
            f"{url}/control/books/SIM-A/BTC-USD", json={"asks": [["9980", "5"]]}
        ).raise_for_status()
        yield url
        runtime.reset()


def new_order(seeded_db, n: int, now: datetime) -> str:
    command = PlaceOrder(TRADER, f"O-rc-{n}", "BTC-USD", "buy", "0.5", "10000")
    return run(seeded_db, lambda tr: place_order(tr, command, now)).order.order_id


def envelope(seeded_db, order_id: str, *, cancel: bool = False) -> str:
    """The command's envelope as the outbox publisher's command sink sends it."""

    def build(tr):
        repo = Repository(tr)
        order = repo.order(order_id)
        if cancel:
            return cancel_command(order, order.attempts[-1], NOW())
        return place_command(order, order.attempts[-1], repo.instrument(order.instrument), NOW())

    return publisher.envelope(run(seeded_db, build)).decode()


def NOW() -> datetime:  # noqa: N802 - read like a constant
    return datetime.now(UTC)


def venue_order(simulator: str, order_id: str):
    return httpx.get(f"{simulator}/venues/SIM-A/orders/{order_id}:EA-1")


def test_a_place_is_sent_once_and_a_redelivery_is_resolved_by_asking(seeded_db, simulator):
    order_id = new_order(seeded_db, 1, NOW())
    command = envelope(seeded_db, order_id)
    assert tasks.place_attempt.run(command) == "sent"
    assert venue_order(simulator, order_id).json()["status"] == "filled"
    assert tasks.place_attempt.run(command) == "known"  # asked first, not sent again


def test_a_place_past_its_send_deadline_is_not_sent(seeded_db, simulator):
    order_id = new_order(seeded_db, 2, NOW() - timedelta(minutes=5))
    assert tasks.place_attempt.run(envelope(seeded_db, order_id)) == "late"
    assert venue_order(simulator, order_id).status_code == 404


def test_a_command_for_an_ended_attempt_does_not_touch_the_venue(seeded_db, simulator):
    order_id = new_order(seeded_db, 3, NOW())
    command = envelope(seeded_db, order_id)
    cancel = envelope(seeded_db, order_id, cancel=True)
    [end] = reconcile(seeded_db, simulator, not_placed_after_s=0)  # ends it as not placed
    assert end.exec_type == "rejected"
    apply(seeded_db, [end])
    assert tasks.place_attempt.run(command).startswith("skipped")
    assert tasks.cancel_attempt.run(cancel).startswith("skipped")
    assert venue_order(simulator, order_id).status_code == 404


def reconcile(seeded_db, simulator, not_placed_after_s=30.0):
    fed: list = []
    client = VenueClient(simulator, "SIM-A")
    Reconciler(seeded_db, client, fed.append, lambda: None, not_placed_after_s).run_once()
    client.close()
    return fed


def apply(seeded_db, reports):
    for report in reports:
        parsed = parse_report(wire(report))
        run(seeded_db, lambda tr, r=parsed: apply_execution_report(tr, r, NOW()))


def test_reconciliation_pages_through_live_attempts_and_ends_them_exactly_once(
    seeded_db, simulator, monkeypatch
):
    monkeypatch.setattr(reconciler_module, "PAGE", 2)  # several pages from five attempts
    ids = [new_order(seeded_db, 10 + n, NOW()) for n in range(5)]
    at_venue = ids[:3]  # placed, but none of their reports reached the store
    for order_id in at_venue:
        assert tasks.place_attempt.run(envelope(seeded_db, order_id)) == "sent"
    first = reconcile(seeded_db, simulator, not_placed_after_s=0)
    assert sorted({r.order_id for r in first}) == sorted(ids)
    apply(seeded_db, first)
    # A second round: no change.
    apply(seeded_db, reconcile(seeded_db, simulator, not_placed_after_s=0))

    orders = run(seeded_db, lambda tr: [Repository(tr).order(o) for o in ids])
    for order in orders[:3]:
        assert order.state.value == "filled" and order.fill_count == 1
    for order in orders[3:]:
        assert order.attempts[0].state.value == "rejected"
        assert order.attempts[0].reason.startswith("not placed")
    # The index holds exactly the attempts still live (the not-placed ones went on elsewhere).
    for venue in ("SIM-A", "SIM-B"):
        assert run(seeded_db, lambda tr, v=venue: Repository(tr).live_attempts(v)) == [
            (o.order_id, a.attempt_id, a.created_at.isoformat())
            for o in orders
            for a in o.active_attempts
            if a.venue == venue
        ]
    assert any(o.active_attempts for o in orders[3:])
