"""A halted venue refuses: pinned orders get 400 on `venue`, the router and resting orders skip
it, and an order that ends because no venue can take it says which switch stopped it."""

from __future__ import annotations

from decimal import Decimal

from infra.store.api import Database, run
from tests.support.api import place
from tests.support.reports import NOW
from trading.domain.routing import VenueQuote
from trading.repository import Repository
from trading.services.quotes import record_quote
from trading.services.reference import set_venue_state


def halt(store: Database, venue: str, halted: bool = True) -> None:
    run(store, lambda tr: set_venue_state(tr, venue, halted=halted))


def test_an_order_pinned_to_a_halted_venue_is_refused_naming_venue(store, api):
    halt(store, "SIM-A")
    answer = api.post(
        "/api/v1/orders",
        {
            "instrument": "BTC-USD",
            "side": "buy",
            "quantity": "0.5",
            "limit_price": "9990",
            "venue": "SIM-A",
        },
        format="json",
    )
    assert answer.status_code == 400
    assert list(answer.json()) == ["venue"]
    assert "SIM-A is halted" in answer.json()["venue"][0]
    assert api.get("/api/v1/orders").json()["results"] == []  # nothing was accepted
    held = {b["asset"]: b["held"] for b in api.get("/api/v1/balances").json()["results"]}
    assert Decimal(held["USD"]) == 0


def test_the_router_skips_a_halted_venue(store, api):
    halt(store, "SIM-A")  # SIM-A has the best ask (9980); SIM-B asks 9985
    order = place(api, instrument="BTC-USD", side="buy", quantity="0.5", limit_price="9990")
    assert [a["venue"] for a in order["attempts"]] == ["SIM-B"]


def test_a_resting_order_is_not_routed_to_a_venue_halted_since(store, api):
    order = place(
        api, instrument="BTC-USD", side="buy", quantity="0.5", limit_price="9960", venue="SIM-A"
    )  # below every ask: it rests
    assert (order["state"], order["attempts"]) == ("working", [])
    halt(store, "SIM-A")
    better = VenueQuote(
        "SIM-A", "BTC-USD", Decimal("9940"), Decimal("2"), Decimal("9950"), Decimal("3"), 0
    )
    assert run(store, lambda tr: record_quote(tr, better, NOW)) == 0  # inside the limit now
    again = api.get(f"/api/v1/orders/{order['order_id']}").json()
    assert (again["state"], again["attempts"]) == ("working", [])
    halt(store, "SIM-A", halted=False)
    moved = VenueQuote(
        "SIM-A", "BTC-USD", Decimal("9940"), Decimal("2"), Decimal("9955"), Decimal("3"), 0
    )
    assert run(store, lambda tr: record_quote(tr, moved, NOW)) == 1  # resumed: routed there
    routed = api.get(f"/api/v1/orders/{order['order_id']}").json()
    assert [a["venue"] for a in routed["attempts"]] == ["SIM-A"]


def test_an_order_no_venue_can_take_says_which_venues_are_halted(store, api):
    halt(store, "SIM-A")
    halt(store, "SIM-B")
    halt(store, "SIM-F")
    order = place(
        api,
        instrument="BTC-USD",
        side="buy",
        quantity="0.5",
        limit_price="9990",
        time_in_force="IOC",
    )
    assert order["state"] == "expired"
    assert order["reason"] == "SIM-A is halted; SIM-B is halted; SIM-F is halted"
    run(store, lambda tr: set_venue_state(tr, "SIM-B", halted=False, circuit_open=True))
    order = place(
        api,
        instrument="BTC-USD",
        side="buy",
        quantity="0.5",
        limit_price="9990",
        time_in_force="IOC",
    )
    assert order["reason"] == "SIM-A is halted; SIM-B's circuit is open; SIM-F is halted"
    assert run(store, lambda tr: Repository(tr).venue("SIM-A")).halted
