"""Reconciliation on the real platform: place commands lost in the broker and reports lost on
the way from the venue, and every order still ends right, exactly once, with no operator."""

from __future__ import annotations

import os
import time
from decimal import Decimal

import httpx
import pytest
import redis

from infra.store import open_database
from infra.store.api import run
from tests.support.platform import eventually, start_platform
from trading.repository import Repository

pytestmark = pytest.mark.slow

ENDED = {"filled", "canceled", "expired", "rejected"}
# Short timers so the drills take seconds: reconcile every 2 s; a place may be sent up to 4 s
# after its attempt was made, so reconciliation calls an attempt not placed after 4 + 5 + 5 s.
TIMERS = {"RECONCILE_INTERVAL_S": "2", "VENUE_PLACE_WINDOW_S": "4"}
BOUND_S = 120  # every order ends within this (generous: 2 shared cores)


@pytest.fixture(scope="module")
def platform(tmp_path_factory):
    saved = {k: os.environ.get(k) for k in TIMERS}
    os.environ.update(TIMERS)
    try:
        running = start_platform(tmp_path_factory.mktemp("reconcile"))
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    yield running
    running.stop()


@pytest.fixture
def api(platform):
    headers = {"Authorization": f"Token {platform.token}"}
    with httpx.Client(base_url=platform.url, headers=headers, timeout=30) as client:
        yield client


@pytest.fixture
def sim(platform):
    with httpx.Client(base_url=platform.simulator_url, timeout=30) as client:
        yield client
        for venue in ("SIM-A", "SIM-B"):
            client.put(f"/control/faults/{venue}", json={}).raise_for_status()


def store_orders(platform, order_ids):
    db = open_database(path=platform.store_path)
    try:
        return run(db, lambda tr: [Repository(tr).order(o) for o in order_ids])
    finally:
        db.close()


def books(sim, platform, asks_a, asks_b):
    for venue, asks in (("SIM-A", asks_a), ("SIM-B", asks_b)):
        body = {"asks": asks, "bids": [["9000", "5"]]}
        sim.put(f"/control/books/{venue}/BTC-USD", json=body).raise_for_status()

    def quoted() -> bool:
        db = open_database(path=platform.store_path)
        try:
            quotes = run(db, lambda tr: Repository(tr).quotes("BTC-USD"))
        finally:
            db.close()
        best = {q.venue: q.best_ask for q in quotes}
        return best.get("SIM-A") == Decimal(asks_a[0][0]) and best.get("SIM-B") == Decimal(
            asks_b[0][0]
        )

    eventually(quoted, 60, 0.2, "the new books quoted")


def place_buys(api, count, quantity):
    ids = []
    for _ in range(count):
        answer = api.post(
            "/api/v1/orders",
            json={
                "instrument": "BTC-USD",
                "side": "buy",
                "quantity": quantity,
                "limit_price": "10000",
            },
        )
        assert answer.status_code == 201, answer.text
        ids.append(answer.json()["order_id"])
    return ids


def all_ended(api, ids):
    orders = [api.get(f"/api/v1/orders/{o}").json() for o in ids]
    return all(o["state"] in ENDED for o in orders) and orders


def assert_store_matches_venues(platform, sim, ids):
    """Each attempt filled in the store exactly as at its venue, each venue fill once."""
    fill_ids = []
    for order in store_orders(platform, ids):
        assert not order.active_attempts
        for attempt in order.attempts:
            answer = sim.get(
                f"/venues/{attempt.venue}/orders/{order.order_id}:{attempt.attempt_id}"
            )
            venue_filled = Decimal(answer.json()["cum_qty"]) if answer.status_code == 200 else 0
            assert attempt.filled_quantity == venue_filled, (order.order_id, attempt)
        assert order.filled_quantity == sum(a.filled_quantity for a in order.attempts)
    db = open_database(path=platform.store_path)
    try:
        fills = run(db, lambda tr: [f for o in ids for f in Repository(tr).order_fills(o)])
    finally:
        db.close()
    fill_ids = [f.venue_fill_id for f in fills]
    assert len(fill_ids) == len(set(fill_ids))
    check = platform.manage("check_invariants")
    assert check.returncode == 0, check.stdout + check.stderr


def test_place_commands_lost_in_the_broker_end_as_not_placed_and_the_orders_go_on(
    platform, api, sim
):
    books(sim, platform, [["9980", "5"]], [["9985", "5"]])
    # The venue answers slowly, so SIM-A's pool (2 processes) is busy and commands wait.
    sim.put("/control/faults/SIM-A", json={"latency_ms": 3000}).raise_for_status()
    broker = redis.Redis.from_url(os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/0"))
    queue = f"{platform.env['CELERY_KEY_PREFIX']}venue.SIM-A"
    ids = place_buys(api, 8, "0.1")
    eventually(lambda: broker.llen(queue) >= 2, 60, 0.02, "place commands waiting in Redis")
    lost = broker.llen(queue)
    broker.delete(queue)  # what a broker that lost its data does to the waiting commands
    sim.put("/control/faults/SIM-A", json={}).raise_for_status()
    started = time.monotonic()
    final = eventually(lambda: all_ended(api, ids), BOUND_S, 0.5, "every order ended")
    print(f"{lost} place commands lost: every order ended {time.monotonic() - started:.1f} s later")
    assert all(o["state"] == "filled" for o in final), [o["state"] for o in final]
    not_placed = [
        a
        for o in store_orders(platform, ids)
        for a in o.attempts
        if a.reason and a.reason.startswith("not placed")
    ]
    assert len(not_placed) >= lost >= 2
    assert all(a.venue == "SIM-A" and a.state.value == "rejected" for a in not_placed)
    assert_store_matches_venues(platform, sim, ids)


def test_reports_lost_between_the_venue_and_the_store_are_fed_back_exactly_once(platform, api, sim):
    # Several levels, so an order fills in several fills; half the reports never arrive.
    books(sim, platform, [[str(9980 + i), "0.1"] for i in range(10)], [["9995", "5"]])
    sim.put("/control/faults/SIM-A", json={"drop_report_rate": "0.5"}).raise_for_status()
    started = time.monotonic()
    ids = place_buys(api, 4, "0.2")
    final = eventually(lambda: all_ended(api, ids), BOUND_S, 0.5, "every order ended")
    print(f"half the reports lost: every order ended {time.monotonic() - started:.1f} s later")
    assert all(o["state"] == "filled" for o in final), [o["state"] for o in final]
    for order in store_orders(platform, ids):
        assert [a.venue for a in order.attempts] == ["SIM-A"] and order.fill_count == 2
    assert_store_matches_venues(platform, sim, ids)
    command = platform.manage("reconcile_venues")
    assert command.returncode == 0, command.stderr
    assert "SIM-A: " in command.stdout and "SIM-B: " in command.stdout
