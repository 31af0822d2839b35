"""POST /api/v1/orders with a routing strategy: "best" (default) or "split"; anything else 400."""

from __future__ import annotations

from decimal import Decimal

from infra.store.api import run
from trading.services.reference import set_trader_strategy

ORDER = {"instrument": "BTC-USD", "side": "buy", "quantity": "3.0", "limit_price": "10000"}


def post(api, **extra):
    return api.post("/api/v1/orders", {**ORDER, **extra}, format="json")


def venues_of(snapshot):
    return [(a["venue"], Decimal(a["quantity"])) for a in snapshot["attempts"]]


def test_a_split_order_is_sent_to_both_venues_at_once(api):
    answer = post(api, strategy="split")
    assert answer.status_code == 201, answer.json()
    assert answer.json()["strategy"] == "split"
    assert venues_of(answer.json()) == [("SIM-A", Decimal("1.2")), ("SIM-B", Decimal("1.8"))]


def test_the_default_is_the_seed_s_route(api):
    answer = post(api)
    assert answer.status_code == 201
    assert answer.json()["strategy"] == "best"
    assert venues_of(answer.json()) == [("SIM-A", Decimal("3.0"))]
    assert post(api, strategy=None).json()["strategy"] == "best"


def test_an_unknown_strategy_is_a_400_naming_the_field(api):
    for bad in ("fastest", "", 5, ["split"], "SPLIT"):
        answer = post(api, strategy=bad)
        assert answer.status_code == 400, (bad, answer.json())
        assert list(answer.json()) == ["strategy"]
    assert api.get("/api/v1/orders").json()["results"] == []


def test_the_trader_s_default_is_used_when_the_order_names_none(store, api, trader):
    run(store, lambda tr: set_trader_strategy(tr, trader.trader_id, "split"))
    answer = post(api)
    assert answer.json()["strategy"] == "split"
    assert len(answer.json()["attempts"]) == 2
    assert post(api, strategy="best").json()["strategy"] == "best"


def test_the_same_client_order_id_with_another_strategy_is_a_conflict(api):
    assert post(api, client_order_id="s-1").status_code == 201
    assert post(api, client_order_id="s-1").status_code == 200
    assert post(api, client_order_id="s-1", strategy="split").status_code == 409
