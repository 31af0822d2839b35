"""A split order across real processes: attempts on SIM-A and SIM-B side by side, every fill in
the ledger and the position, to the minor unit; and `make demo STRATEGY=split`."""

from datetime import UTC, datetime
from decimal import Decimal

import httpx
import pytest

from infra.store import open_database
from infra.store.api import run
from ledger import journal
from tests.support.platform import SEED_ORDER, eventually
from trading.repository import Repository
from trading.services.working import MIN_FILL_RATIO_ATTEMPTS

pytestmark = pytest.mark.slow

VENUES = ("SIM-A", "SIM-B")
# Cheapest first: SIM-A 1.2 @ 9980, SIM-B 1 @ 9982, SIM-A 1 @ 9990: 3 BTC takes from both.
BOOKS = {
    "SIM-A": [["9980", "1.2"], ["9990", "1"]],
    "SIM-B": [["9982", "1"], ["9995", "5"]],
}


@pytest.fixture
def api(platform):
    with httpx.Client(
        base_url=platform.url, headers={"Authorization": f"Token {platform.token}"}, timeout=10
    ) as client:
        yield client


@pytest.fixture(autouse=True)
def books_put_back(platform):
    """Every venue's BTC-USD book as it was before, after the test: later tests (the seed's
    drills) count on SIM-F's book staying outside their limits."""
    names = in_store(platform, lambda tr: [v.name for v in Repository(tr).venues()])
    with httpx.Client(base_url=f"{platform.simulator_url}/control", timeout=10) as control:
        kept = {}
        for venue in names:
            answer = control.get(f"/books/{venue}/BTC-USD")
            if answer.status_code == 200:
                kept[venue] = {side: answer.json().get(side, []) for side in ("asks", "bids")}
        yield
        for venue, book in kept.items():
            control.put(f"/books/{venue}/BTC-USD", json=book).raise_for_status()


def in_store(platform, fn):
    db = open_database(path=platform.store_path)
    try:
        return run(db, fn)
    finally:
        db.close()


def set_books(platform):
    with httpx.Client(base_url=f"{platform.simulator_url}/control", timeout=10) as control:
        for venue in VENUES:
            control.put(f"/faults/{venue}", json={}).raise_for_status()
        eventually(
            lambda: all(
                v.status.available
                for v in in_store(platform, lambda tr: Repository(tr).venues())
                if v.name in VENUES
            ),
            what="SIM-A's and SIM-B's streams up",
        )
        for venue, asks in BOOKS.items():
            control.put(
                f"/books/{venue}/BTC-USD", json={"asks": asks, "bids": [["9900", "5"]]}
            ).raise_for_status()
        others = in_store(platform, lambda tr: [v.name for v in Repository(tr).venues()])
        for venue in set(others) - set(VENUES):  # any other venue shows nothing to buy
            control.put(f"/books/{venue}/BTC-USD", json={"asks": []}).raise_for_status()

    def quoted():
        quotes = in_store(platform, lambda tr: Repository(tr).quotes("BTC-USD"))
        shown = {q.venue: q.levels(True) for q in quotes}
        others = [v for v in shown if v not in BOOKS]
        return all(not shown[v] for v in others) and all(
            shown.get(v) == tuple((Decimal(p), Decimal(q)) for p, q in asks)
            for v, asks in BOOKS.items()
        )

    eventually(quoted, what="the router's quotes to show the new books with their depth")


def ledger_of(platform, trader_id):
    def read(tr):
        account = f"trader:{trader_id}"
        return {a: journal.balance(tr, account, a) for a in ("USD", "BTC")}

    return in_store(platform, read)


def trader_id(platform):
    order = in_store(platform, lambda tr: Repository(tr).traders())
    return next(t.trader_id for t in order if t.name == "demo")


def test_a_split_order_fills_across_sim_a_and_sim_b_with_ledger_and_position_exact(platform, api):
    set_books(platform)
    tid = trader_id(platform)
    before = ledger_of(platform, tid)
    position_before = {p["instrument"]: p for p in api.get("/api/v1/positions").json()["results"]}
    btc_before = Decimal(position_before.get("BTC-USD", {}).get("quantity", "0"))
    history = in_store(
        platform, lambda tr: Repository(tr).venue_fills("BTC-USD", datetime.now(UTC))
    )
    answer = api.post("/api/v1/orders", json={**SEED_ORDER, "strategy": "split"})
    assert answer.status_code == 201, answer.text
    placed = answer.json()
    assert placed["strategy"] == "split"
    # Both attempts went out at acceptance, side by side, adding up to the order.
    assert {a["venue"] for a in placed["attempts"]} == set(VENUES)
    assert sum(Decimal(a["quantity"]) for a in placed["attempts"]) == Decimal("3")
    if all(attempts < MIN_FILL_RATIO_ATTEMPTS for attempts, _, _ in history.values()):
        # No venue has a fill ratio yet (this file alone): exactly the cheapest 3 BTC shown.
        assert [(a["venue"], Decimal(a["quantity"])) for a in placed["attempts"]] == [
            ("SIM-A", Decimal("2")),
            ("SIM-B", Decimal("1")),
        ]
    order_id = placed["order_id"]
    final = eventually(
        lambda: (o := api.get(f"/api/v1/orders/{order_id}").json())["state"] == "filled" and o,
        30,
        what=f"order {order_id} filled",
    )
    fills = api.get("/api/v1/fills", params={"order_id": order_id}).json()["results"]
    assert {f["venue"] for f in fills} == set(VENUES)
    quantity = sum(Decimal(f["quantity"]) for f in fills)
    notional = sum(Decimal(f["quantity"]) * Decimal(f["price"]) for f in fills)
    fees = sum(Decimal(f["fee"]) for f in fills)
    assert quantity == Decimal("3")
    assert Decimal(final["average_price"]) * quantity == notional
    assert Decimal(final["fees"]) == fees
    after = ledger_of(platform, tid)
    assert after["BTC"] - before["BTC"] == 3 * 10**8
    assert before["USD"] - after["USD"] == int((notional + fees) * 10**8)
    position = {p["instrument"]: p for p in api.get("/api/v1/positions").json()["results"]}
    assert Decimal(position["BTC-USD"]["quantity"]) == btc_before + 3
    entries = in_store(
        platform, lambda tr: [journal.get_entry(tr, f"{f['fill_id']}:trade") for f in fills]
    )
    assert all(entry is not None for entry in entries)
    check = platform.manage("check_invariants")
    assert check.returncode == 0, check.stdout + check.stderr


def test_make_demo_strategy_split_works_one_order_across_every_venue(platform):
    demo = platform.manage("demo", "--url", platform.url, "--strategy", "split")
    assert demo.returncode == 0, demo.stdout + demo.stderr
    print(demo.stdout)  # what `make demo STRATEGY=split` shows, for `pytest -s`
    assert "3 / 3 filled" in demo.stdout
    venues = in_store(
        platform, lambda tr: [v.name for v in Repository(tr).venues() if not v.halted]
    )
    assert f"fills on {len(venues)} venues: {', '.join(sorted(venues))}" in demo.stdout
    assert "not in the ledger" not in demo.stdout
