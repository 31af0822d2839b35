"""GET /api/v1/orders and /fills: newest first, filters, and cursor pages that walk everything."""

from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from infra.store.api import run
from tests.support.api import SEED_ORDER, apply, fill_seed_order, place, walk
from tests.support.reports import NOW, report
from trading.domain.routing import VenueQuote
from trading.services.quotes import record_quote


def place_resting(api, n, **extra):
    """`n` GTC buys below the market: they rest `working` with nothing at a venue."""
    body = {"instrument": "BTC-USD", "side": "buy", "quantity": "0.1", "limit_price": "9000"}
    return [place(api, **{**body, **extra}) for _ in range(n)]


def partial_fills(db, order, n, quantity="0.1", price="9980"):
    """`n` fills of EA-1 wherever it was routed."""
    ea1 = order["attempts"][0]
    for i in range(1, n + 1):
        cum = Decimal(quantity) * i
        rep = report(
            order["order_id"], "EA-1", ea1["venue"], "trade", cum=cum, qty=quantity, price=price
        )
        apply(db, rep)


def test_orders_are_listed_newest_first(api):
    placed = place_resting(api, 3)
    listed = api.get("/api/v1/orders").json()
    assert [o["order_id"] for o in listed["results"]] == [o["order_id"] for o in reversed(placed)]
    assert listed["next"] is None
    assert listed["results"][0] == api.get(f"/api/v1/orders/{placed[-1]['order_id']}").json()


@pytest.mark.parametrize("limit", [1, 2, 3, 7, 8])
def test_order_pages_walk_every_order_once(api, limit):
    placed = place_resting(api, 7)
    pages = walk(api, f"/api/v1/orders?limit={limit}")
    ids = [o["order_id"] for page in pages for o in page]
    assert ids == [o["order_id"] for o in reversed(placed)]
    assert all(len(page) <= limit for page in pages)
    assert len(pages) == -(-7 // limit)  # no empty last page when the end is known


def test_next_is_an_absolute_url_that_keeps_the_filters(api):
    place_resting(api, 3)
    first = api.get("/api/v1/orders", {"limit": 1, "instrument": "BTC-USD"}).json()
    assert first["next"].startswith("http://testserver/api/v1/orders?")
    assert "instrument=BTC-USD" in first["next"] and "cursor=" in first["next"]


def test_orders_filter_by_state_instrument_and_client_order_id(api, store):
    resting = place_resting(api, 2)
    eth = place(api, instrument="ETH-USD", side="buy", quantity="1", limit_price="100")
    filled = place(api, **SEED_ORDER, client_order_id="seed")
    fill_seed_order(store, filled["order_id"])
    canceled = api.post(f"/api/v1/orders/{resting[0]['order_id']}/cancel").json()

    def ids(**query):
        answer = api.get("/api/v1/orders", query)
        assert answer.status_code == 200, answer.content
        return [o["order_id"] for o in answer.json()["results"]]

    assert ids(state="filled") == [filled["order_id"]]
    assert ids(state="canceled") == [canceled["order_id"]]
    assert ids(state="working") == [eth["order_id"], resting[1]["order_id"]]
    assert ids(state="expired") == []
    assert ids(instrument="ETH-USD") == [eth["order_id"]]
    assert ids(instrument="BTC-USD", state="working") == [resting[1]["order_id"]]
    assert ids(client_order_id="seed") == [filled["order_id"]]
    assert ids(client_order_id="seed", state="working") == []
    assert ids(client_order_id="unknown") == []


def test_orders_filter_by_created_time(api):
    placed = place_resting(api, 3)
    middle = datetime.fromisoformat(placed[1]["created_at"])

    def ids(**query):
        answer = api.get("/api/v1/orders", {k: v.isoformat() for k, v in query.items()})
        assert answer.status_code == 200, answer.content
        return [o["order_id"] for o in answer.json()["results"]]

    newer, middle_id, older = (o["order_id"] for o in reversed(placed))
    assert ids(created_after=middle) == [newer, middle_id]  # inclusive
    assert ids(created_before=middle) == [older]  # exclusive
    assert ids(created_after=middle, created_before=middle + timedelta(microseconds=1)) == [
        middle_id
    ]
    assert ids(created_after=middle + timedelta(days=1)) == []
    assert ids(created_before=middle - timedelta(days=1)) == []


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"state": "sleeping"}, "state"),
        ({"instrument": "X" * 100}, "instrument"),
        ({"client_order_id": "bad id"}, "client_order_id"),
        ({"created_after": "yesterday"}, "created_after"),
        ({"created_before": "2026-13-45T00:00:00Z"}, "created_before"),
        ({"limit": "0"}, "limit"),
        ({"limit": "201"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"cursor": "x" * 5000}, "cursor"),
    ],
)
def test_bad_order_list_parameters_are_400_naming_them(api, query, field):
    answer = api.get("/api/v1/orders", query)
    assert answer.status_code == 400
    assert list(answer.json()) == [field]


def test_a_fills_cursor_is_not_an_orders_cursor(api, store):
    order = place(api, instrument="BTC-USD", side="buy", quantity="1", limit_price="10000")
    partial_fills(store, order, 3)
    fills_next = api.get("/api/v1/fills", {"limit": 1}).json()["next"]
    cursor = fills_next.split("cursor=")[1]
    answer = api.get("/api/v1/orders", {"cursor": cursor})
    assert answer.status_code == 400 and list(answer.json()) == ["cursor"]


FILL_FIELDS = {
    "fill_id",
    "order_id",
    "attempt_id",
    "venue",
    "venue_fill_id",
    "instrument",
    "side",
    "quantity",
    "price",
    "fee",
    "fee_asset",
    "executed_at",
}


def test_fills_show_the_seed_fills_newest_first(api, store):
    order = place(api, **SEED_ORDER)
    fill_seed_order(store, order["order_id"])
    fills = api.get("/api/v1/fills").json()
    assert fills["next"] is None
    assert all(set(f) == FILL_FIELDS for f in fills["results"])
    assert [
        (f["attempt_id"], f["venue"], f["quantity"], f["price"], f["fee"], f["fee_asset"])
        for f in fills["results"]
    ] == [
        ("EA-2", "SIM-B", "1.8", "9985", "17.973", "USD"),
        ("EA-1", "SIM-A", "1.2", "9980", "11.976", "USD"),
    ]
    assert {(f["order_id"], f["instrument"], f["side"]) for f in fills["results"]} == {
        (order["order_id"], "BTC-USD", "buy")
    }
    assert len({f["fill_id"] for f in fills["results"]}) == 2


@pytest.mark.parametrize("limit", [1, 2, 4, 5, 6])
def test_fill_pages_walk_every_fill_once(api, store, limit):
    order = place(api, instrument="BTC-USD", side="buy", quantity="1", limit_price="10000")
    partial_fills(store, order, 5)
    pages = walk(api, f"/api/v1/fills?limit={limit}")
    ids = [f["fill_id"] for page in pages for f in page]
    assert len(ids) == len(set(ids)) == 5
    assert ids == [f"{order['order_id']}-F{n}" for n in range(5, 0, -1)]
    assert len(pages) == -(-5 // limit)


def test_fills_filter_by_order_and_instrument(api, store):
    run(
        store,
        lambda tr: record_quote(
            tr,
            VenueQuote("SIM-B", "ETH-USD", None, Decimal(0), Decimal("100"), Decimal(50), 1),
            NOW,
        ),
    )
    btc_1 = place(api, instrument="BTC-USD", side="buy", quantity="1", limit_price="10000")
    btc_2 = place(api, instrument="BTC-USD", side="buy", quantity="1", limit_price="10000")
    eth = place(api, instrument="ETH-USD", side="buy", quantity="5", limit_price="101")
    assert eth["attempts"][0]["venue"] == "SIM-B"
    partial_fills(store, btc_1, 2)
    partial_fills(store, btc_2, 3)
    partial_fills(store, eth, 1, quantity="1", price="100")

    def fill_ids(**query):
        answer = api.get("/api/v1/fills", query)
        assert answer.status_code == 200, answer.content
        return [f["fill_id"] for f in answer.json()["results"]]

    assert fill_ids(order_id=btc_1["order_id"]) == [
        f"{btc_1['order_id']}-F2",
        f"{btc_1['order_id']}-F1",
    ]
    assert len(fill_ids(order_id=btc_2["order_id"])) == 3
    assert fill_ids(instrument="ETH-USD") == [f"{eth['order_id']}-F1"]
    assert len(fill_ids(instrument="BTC-USD")) == 5
    assert fill_ids(order_id=eth["order_id"], instrument="BTC-USD") == []
    assert fill_ids(order_id="O-unknown") == []
    pages = walk(api, f"/api/v1/fills?limit=1&order_id={btc_2['order_id']}")
    assert [f["fill_id"] for page in pages for f in page] == [
        f"{btc_2['order_id']}-F{n}" for n in (3, 2, 1)
    ]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"order_id": "O" * 200}, "order_id"),
        ({"instrument": "X" * 100}, "instrument"),
        ({"limit": "-1"}, "limit"),
        ({"cursor": "garbage"}, "cursor"),
    ],
)
def test_bad_fill_list_parameters_are_400_naming_them(api, query, field):
    answer = api.get("/api/v1/fills", query)
    assert answer.status_code == 400
    assert list(answer.json()) == [field]
