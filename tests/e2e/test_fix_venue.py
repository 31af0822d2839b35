"""An order filled on SIM-F end to end, across the real processes `make run` starts: the
SIM-F pool's FIX session to the simulator, Kafka, ingest, the ledger and the position."""

from decimal import Decimal

import httpx
import pytest

from tests.support.platform import eventually

pytestmark = pytest.mark.slow


@pytest.fixture
def api(platform):
    with httpx.Client(
        base_url=platform.url, headers={"Authorization": f"Token {platform.token}"}, timeout=10
    ) as client:
        yield client


def balances(api) -> dict[str, Decimal]:
    rows = api.get("/api/v1/balances").json()["results"]
    return {row["asset"]: Decimal(row["total"]) for row in rows}


def position(api) -> Decimal:
    rows = api.get("/api/v1/positions").json()["results"]
    return next((Decimal(p["quantity"]) for p in rows if p["instrument"] == "BTC-USD"), Decimal(0))


@pytest.fixture
def control(platform):
    """The simulator's control API; SIM-F's book is the seed's again afterwards, for the tests
    that share this platform."""
    url = f"{platform.simulator_url}/control"
    yield url
    httpx.put(
        f"{url}/books/SIM-F/BTC-USD",
        json={"asks": [["10100", "5"]], "bids": [["9900", "5"]]},
        timeout=10,
    ).raise_for_status()


def test_an_order_pinned_to_sim_f_fills_over_fix_into_ledger_and_position(platform, api, control):
    httpx.put(
        f"{control}/books/SIM-F/BTC-USD",
        json={"asks": [["9990", "1"], ["9991", "5"]], "bids": [["9960", "5"]]},
        timeout=10,
    ).raise_for_status()
    eventually(
        lambda: (
            (s := httpx.get(f"{control}/fix/SIM-F/sessions", timeout=5).json())
            and any(v["connected"] for v in s.values())
            and s
        ),
        60,
        what="the SIM-F pool logged on over FIX",
    )
    before_usd, before_btc = balances(api)["USD"], position(api)

    answer = api.post(
        "/api/v1/orders",
        json={
            "instrument": "BTC-USD",
            "side": "buy",
            "quantity": "3",
            "limit_price": "10000",
            "venue": "SIM-F",
        },
    )
    assert answer.status_code == 201, answer.text
    order_id = answer.json()["order_id"]
    order = eventually(
        lambda: (o := api.get(f"/api/v1/orders/{order_id}").json())["state"] == "filled" and o,
        60,
        what="the SIM-F order filled",
    )
    assert Decimal(order["filled_quantity"]) == 3
    assert {a["venue"] for a in order["attempts"]} == {"SIM-F"}

    fills = api.get("/api/v1/fills", params={"order_id": order_id}).json()["results"]
    assert sorted((Decimal(f["quantity"]), Decimal(f["price"])) for f in fills) == [
        (Decimal(1), Decimal(9990)),
        (Decimal(2), Decimal(9991)),
    ]
    assert all(f["venue"] == "SIM-F" and f["venue_fill_id"].startswith("SIM-F-F-") for f in fills)
    assert len({f["venue_fill_id"] for f in fills}) == 2

    notional = Decimal(9990) + 2 * Decimal(9991)
    fees = sum(Decimal(f["fee"]) for f in fills)
    assert fees == notional * Decimal("0.001")
    assert balances(api)["USD"] == before_usd - notional - fees
    assert position(api) == before_btc + 3
    check = platform.manage("check_invariants")
    assert check.returncode == 0, check.stdout + check.stderr
