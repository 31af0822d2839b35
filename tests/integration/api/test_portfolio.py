"""GET /api/v1/instruments, /positions and /balances, read from the same store as the orders."""

from decimal import Decimal

from infra.store.api import run
from tests.support.api import SEED_ORDER, apply, fill_seed_order, place
from tests.support.reports import NOW, report
from trading.api.selectors import mark_price
from trading.domain.routing import VenueQuote
from trading.services.quotes import record_quote


def balances(api):
    answer = api.get("/api/v1/balances")
    assert answer.status_code == 200
    assert answer.json()["next"] is None
    return {b["asset"]: b for b in answer.json()["results"]}


def test_instruments_carry_their_steps(api):
    answer = api.get("/api/v1/instruments")
    assert answer.status_code == 200
    assert answer.json() == {
        "results": [
            {
                "symbol": "BTC-USD",
                "base": "BTC",
                "quote": "USD",
                "quantity_step": "0.0001",
                "price_tick": "0.01",
                "min_quantity": "0.0001",
            },
            {
                "symbol": "ETH-USD",
                "base": "ETH",
                "quote": "USD",
                "quantity_step": "0.001",
                "price_tick": "0.01",
                "min_quantity": "0.001",
            },
        ],
        "next": None,
    }


def test_a_new_trader_has_the_demo_balances_and_no_positions(api):
    assert balances(api) == {
        "BTC": {"asset": "BTC", "total": "100", "available": "100", "held": "0"},
        "ETH": {"asset": "ETH", "total": "1000", "available": "1000", "held": "0"},
        "USD": {"asset": "USD", "total": "1000000", "available": "1000000", "held": "0"},
    }
    assert api.get("/api/v1/positions").json() == {"results": [], "next": None}


def test_an_open_buy_holds_its_quote_with_the_fee_margin(api):
    place(api, **SEED_ORDER)
    usd = balances(api)["USD"]
    held = Decimal(3) * Decimal(10000) * Decimal("1.001")  # remaining x limit x (1 + 0.10%)
    assert Decimal(usd["held"]) == held
    assert Decimal(usd["total"]) == 1_000_000
    assert Decimal(usd["available"]) == Decimal(1_000_000) - held


def test_the_seed_fills_make_a_position_of_3_btc_at_9983(api, store):
    order = place(api, **SEED_ORDER)
    fill_seed_order(store, order["order_id"])
    positions = api.get("/api/v1/positions").json()
    assert positions["next"] is None
    # Mark: mid of the best bid (SIM-B 9975) and the best ask (SIM-A 9980) = 9977.5.
    assert positions["results"] == [
        {
            "instrument": "BTC-USD",
            "quantity": "3",
            "average_cost": "9983",
            "realized_pnl": "0",
            "unrealized_pnl": str(Decimal(3) * Decimal("9977.5") - Decimal(29949)),
        }
    ]
    notional, fee = Decimal(29949), Decimal("29.949")
    after = balances(api)
    assert Decimal(after["USD"]["total"]) == Decimal(1_000_000) - notional - fee
    assert (after["USD"]["held"], after["BTC"]["held"]) == ("0", "0")
    assert after["USD"]["available"] == after["USD"]["total"]
    assert Decimal(after["BTC"]["total"]) == 103
    assert Decimal(after["BTC"]["available"]) == 103


def test_a_sell_holds_the_base_and_a_partial_fill_releases_part(api, store):
    order = place(api, instrument="BTC-USD", side="sell", quantity="2", limit_price="9970")
    assert order["attempts"][0]["venue"] == "SIM-B"  # the best bid: 9975
    assert balances(api)["BTC"]["held"] == "2"
    apply(
        store,
        report(
            order["order_id"],
            "EA-1",
            "SIM-B",
            "trade",
            cum="0.5",
            qty="0.5",
            price="9975",
        ),
    )
    btc = balances(api)["BTC"]
    assert (btc["total"], btc["held"], btc["available"]) == ("99.5", "1.5", "98")
    position = api.get("/api/v1/positions").json()["results"][0]
    assert (position["quantity"], position["average_cost"]) == ("-0.5", "9975")


def test_unrealized_pnl_uses_the_side_there_is_and_null_without_a_price(api, store):
    ask_only = VenueQuote("SIM-B", "ETH-USD", None, Decimal(0), Decimal("100"), Decimal(50), 1)
    run(store, lambda tr: record_quote(tr, ask_only, NOW))
    order = place(api, instrument="ETH-USD", side="buy", quantity="2", limit_price="100")
    apply(
        store,
        report(order["order_id"], "EA-1", "SIM-B", "trade", cum="2", qty="2", price="99.5"),
    )
    eth = {p["instrument"]: p for p in api.get("/api/v1/positions").json()["results"]}["ETH-USD"]
    assert (eth["quantity"], eth["average_cost"]) == ("2", "99.5")
    assert Decimal(eth["unrealized_pnl"]) == Decimal(2) * (100 - Decimal("99.5"))
    assert mark_price([]) is None
    bid_only = VenueQuote("SIM-A", "ETH-USD", Decimal("98"), Decimal(1), None, Decimal(0), 1)
    assert mark_price([bid_only]) == 98
    assert mark_price([ask_only, bid_only]) == 99
