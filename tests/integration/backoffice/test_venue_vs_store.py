"""The staff report "venue vs store", against the real simulator process."""

from __future__ import annotations

import httpx
import pytest

from infra.store.api import run
from tests.integration.backoffice.conftest import client_for, place
from tests.integration.simulator.support import running_simulator
from trading.repository import Repository


@pytest.fixture
def simulator(tmp_path, settings):
    with running_simulator(tmp_path) as url:
        settings.VENUE_SIMULATOR_URL = url
        yield url


def drifts(page: str) -> list[str]:
    return [line for line in page.splitlines() if 'class="drift"' in line]


def test_venue_vs_store_lists_what_the_venue_and_the_store_disagree_on(
    seed, simulator, staff, finance, ops
):
    live = place(seed.db, seed.trader.trader_id, quantity="1.0")
    order = run(seed.db, lambda tr: Repository(tr).order(live))
    coid = f"{live}:{order.attempts[0].attempt_id}"
    page = client_for(staff).get("/reports/venue-vs-store").content.decode()
    # The seed's filled order was never at this venue (a test's store), the new one neither.
    assert f'data-client-order-id="{coid}"' in page
    assert "the venue never received it, the store has it live" in page
    assert "the venue never received it, the store has fills" in page

    # Now the venue fills it, and the store has not heard.
    venue = order.attempts[0].venue
    httpx.put(
        f"{simulator}/control/books/{venue}/BTC-USD", json={"asks": [["9980", "5"]]}
    ).raise_for_status()
    body = {
        "client_order_id": coid,
        "instrument": "BTC-USD",
        "side": "buy",
        "quantity": "1",
        "price": "10000",
    }
    assert httpx.post(f"{simulator}/venues/{venue}/orders", json=body).status_code == 200
    page = client_for(finance).get("/reports/venue-vs-store").content.decode()
    assert len([line for line in drifts(page) if coid in line]) == 1
    assert "filled 1 at the venue, 0 in the store" in page
    assert client_for(ops).get("/reports/venue-vs-store").status_code == 403
