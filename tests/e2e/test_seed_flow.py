"""The seed's lifecycle across real processes: simulator, Kafka, venue pools, publisher, ingest."""

from decimal import Decimal

import httpx
import pytest

from infra.store import open_database
from infra.store.api import run
from tests.support.platform import eventually
from trading.repository import Repository

pytestmark = pytest.mark.slow

SEED_BOOKS = {"SIM-A": [["9980", "1.2"]], "SIM-B": [["9985", "5"]]}


@pytest.fixture
def api(platform):
    with httpx.Client(
        base_url=platform.url, headers={"Authorization": f"Token {platform.token}"}, timeout=10
    ) as client:
        yield client


@pytest.fixture
def control(platform):
    with httpx.Client(base_url=f"{platform.simulator_url}/control", timeout=10) as client:
        for venue in ("SIM-A", "SIM-B"):
            client.put(f"/faults/{venue}", json={}).raise_for_status()
        yield client
        for venue in ("SIM-A", "SIM-B"):
            client.put(f"/faults/{venue}", json={}).raise_for_status()


def circuits(platform):
    """Which venues the router may choose now (circuit closed, not halted)."""
    db = open_database(path=platform.store_path)
    try:
        return {v.name: v.status.available for v in run(db, lambda tr: Repository(tr).venues())}
    finally:
        db.close()


def set_seed_books(control, platform):
    eventually(lambda: all(circuits(platform).values()), what="every venue's stream up")
    for venue, asks in SEED_BOOKS.items():
        control.put(
            f"/books/{venue}/BTC-USD", json={"asks": asks, "bids": [["9900", "5"]]}
        ).raise_for_status()


def wait_for_end(api, order_id, timeout_s=30):
    ended = {"filled", "canceled", "expired", "rejected"}
    return eventually(
        lambda: (o := api.get(f"/api/v1/orders/{order_id}").json())["state"] in ended and o,
        timeout_s,
        what=f"order {order_id} to end",
    )


def place(api, **body):
    answer = api.post("/api/v1/orders", json=body)
    assert answer.status_code == 201, answer.text
    return answer.json()


def test_seed_order_fills_3_of_3_at_9983_across_two_venues(platform, api, control):
    set_seed_books(control, platform)
    eventually(lambda: control.get("/books/SIM-A/BTC-USD").json()["asks"], what="books set")
    order = place(api, instrument="BTC-USD", side="buy", quantity="3.0", limit_price="10000")
    final = wait_for_end(api, order["order_id"])
    assert final["state"] == "filled"
    assert Decimal(final["filled_quantity"]) == 3
    assert Decimal(final["average_price"]) == Decimal("9983")
    attempts = [
        (
            a["attempt_id"],
            a["venue"],
            Decimal(a["quantity"]),
            Decimal(a["filled_quantity"]),
            a["state"],
        )
        for a in final["attempts"]
    ]
    assert attempts == [
        ("EA-1", "SIM-A", Decimal("3"), Decimal("1.2"), "expired"),
        ("EA-2", "SIM-B", Decimal("1.8"), Decimal("1.8"), "filled"),
    ]
    check = platform.manage("check_invariants")
    assert check.returncode == 0, check.stderr


@pytest.mark.parametrize(
    ("faults", "expected"),
    [
        ({"duplicate_report_rate": 1.0}, {"filled"}),
        ({"reorder_reports": True}, {"filled"}),
        ({"drop_ack_rate": 1.0}, {"filled"}),
    ],
    ids=["duplicate-reports", "reordered-reports", "dropped-acks"],
)
def test_venue_faults_keep_the_invariants(platform, api, control, faults, expected):
    set_seed_books(control, platform)
    for venue in ("SIM-A", "SIM-B"):
        control.put(f"/faults/{venue}", json=faults).raise_for_status()
    order = place(api, instrument="BTC-USD", side="buy", quantity="3.0", limit_price="10000")
    final = wait_for_end(api, order["order_id"])
    assert final["state"] in expected
    assert Decimal(final["filled_quantity"]) == 3
    check = platform.manage("check_invariants")
    assert check.returncode == 0, check.stderr


def test_a_rejecting_venue_ends_an_ioc_order_rejected(platform, api, control):
    set_seed_books(control, platform)
    for venue in ("SIM-A", "SIM-B"):
        control.put(f"/faults/{venue}", json={"reject_rate": 1.0}).raise_for_status()
    order = place(
        api,
        instrument="BTC-USD",
        side="buy",
        quantity="1.0",
        limit_price="10000",
        time_in_force="IOC",
    )
    final = wait_for_end(api, order["order_id"])
    assert final["state"] == "rejected"
    assert Decimal(final["filled_quantity"]) == 0
    assert all(a["state"] == "rejected" for a in final["attempts"])
    assert platform.manage("check_invariants").returncode == 0


def test_a_venue_down_mid_order_is_skipped_and_the_order_ends_saying_so(platform, api, control):
    set_seed_books(control, platform)
    control.put("/faults/SIM-B", json={"down": True}).raise_for_status()
    eventually(lambda: not circuits(platform)["SIM-B"], what="SIM-B's circuit to open")
    order = place(
        api,
        instrument="BTC-USD",
        side="buy",
        quantity="3.0",
        limit_price="10000",
        time_in_force="IOC",
    )
    final = wait_for_end(api, order["order_id"])
    # EA-1 fills 1.2 at SIM-A; SIM-B is down, so nothing else is inside the limit: expired.
    assert final["state"] == "expired"
    assert Decimal(final["filled_quantity"]) == Decimal("1.2")
    assert platform.manage("check_invariants").returncode == 0


def test_cancel_of_a_resting_gtc_order_ends_it_canceled(platform, api, control):
    set_seed_books(control, platform)
    order = place(api, instrument="BTC-USD", side="buy", quantity="1.0", limit_price="9000")
    eventually(
        lambda: api.get(f"/api/v1/orders/{order['order_id']}").json()["state"] == "working",
        what="resting",
    )
    answer = api.post(f"/api/v1/orders/{order['order_id']}/cancel")
    assert answer.status_code == 202
    final = wait_for_end(api, order["order_id"])
    assert final["state"] == "canceled"
    assert platform.manage("check_invariants").returncode == 0


def test_cancel_reaches_the_venue_for_an_attempt_in_flight(platform, api, control):
    set_seed_books(control, platform)
    # The venue answers (and streams) 3 s late, so the attempt is still live in the store when
    # the cancel is sent: the cancel must go to the venue, not be settled by the platform.
    control.put("/faults/SIM-A", json={"latency_ms": 3000}).raise_for_status()
    order = place(api, instrument="BTC-USD", side="buy", quantity="1.0", limit_price="10000")
    answer = api.post(f"/api/v1/orders/{order['order_id']}/cancel")
    assert answer.status_code == 202
    assert answer.json()["state"] == "cancel_pending"
    final = wait_for_end(api, order["order_id"])
    coid = f"{order['order_id']}:EA-1"
    line = eventually(
        lambda: next(
            (x for x in platform.log("venue-SIM-A").splitlines() if f"the cancel of {coid}:" in x),
            None,
        ),
        what="SIM-A's answer to the cancel in the venue pool's log",
    )
    at_venue = httpx.get(f"{platform.simulator_url}/venues/SIM-A/orders/{coid}", timeout=10)
    # An IOC child has executed by the time the venue reads the cancel: the venue says so,
    # and the order ends with what the venue did (filled), never canceled with a fill lost.
    if line.endswith(": canceled"):
        assert final["state"] == "canceled" and at_venue.json()["status"] == "canceled"
    else:
        assert line.endswith(": already-ended"), line
        assert at_venue.json()["status"] == "filled" and final["state"] == "filled"
        assert Decimal(final["filled_quantity"]) == Decimal("1.0")
    assert platform.manage("check_invariants").returncode == 0
