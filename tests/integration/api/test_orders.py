"""POST/GET /api/v1/orders, GET /orders/{id}, POST /orders/{id}/cancel, and every bad input."""

import json
from decimal import Decimal

import pytest

from tests.support.api import SEED_ORDER, fill_seed_order, make_trader, place

SNAPSHOT_FIELDS = {
    "order_id",
    "client_order_id",
    "instrument",
    "side",
    "order_type",
    "time_in_force",
    "quantity",
    "limit_price",
    "filled_quantity",
    "remaining_quantity",
    "average_price",
    "fees",
    "state",
    "seq",
    "attempts",
    "created_at",
    "updated_at",
}


def test_a_new_order_is_201_with_its_snapshot(api):
    answer = api.post("/api/v1/orders", SEED_ORDER, format="json")
    assert answer.status_code == 201
    order = answer.json()
    assert SNAPSHOT_FIELDS <= set(order)
    assert order["order_id"].startswith("O")
    assert (order["instrument"], order["side"], order["order_type"]) == ("BTC-USD", "buy", "limit")
    assert order["time_in_force"] == "GTC"  # a limit order's default
    assert Decimal(order["quantity"]) == 3 and Decimal(order["remaining_quantity"]) == 3
    assert order["average_price"] is None and order["seq"] == 1
    assert order["state"] == "new"
    assert order["attempts"] == [
        {
            "attempt_id": "EA-1",
            "venue": "SIM-A",
            "quantity": "3",
            "filled_quantity": "0",
            "state": "pending",
        }
    ]
    assert order["created_at"].endswith("+00:00")
    assert api.get(f"/api/v1/orders/{order['order_id']}").json() == order


def test_a_market_order_is_ioc_by_default(api):
    order = place(api, instrument="BTC-USD", side="buy", quantity="0.5")
    assert (order["order_type"], order["time_in_force"], order["limit_price"]) == (
        "market",
        "IOC",
        None,
    )


def test_the_same_client_order_id_and_body_is_200_with_the_same_order(api):
    body = {**SEED_ORDER, "client_order_id": "my-order.1:a_b"}
    first = api.post("/api/v1/orders", body, format="json")
    assert first.status_code == 201
    # The same numbers written differently, and as a JSON number, are the same body.
    for quantity in ["3.0", "3", "3.00000000", Decimal("3.0")]:
        again = api.post("/api/v1/orders", {**body, "quantity": quantity}, format="json")
        assert again.status_code == 200, again.content
        assert again.json()["order_id"] == first.json()["order_id"]
    assert len(api.get("/api/v1/orders").json()["results"]) == 1


@pytest.mark.parametrize(
    "change",
    [{"quantity": "2"}, {"side": "sell"}, {"limit_price": "9999"}, {"time_in_force": "IOC"}],
)
def test_the_same_client_order_id_with_a_different_body_is_409(api, change):
    body = {**SEED_ORDER, "client_order_id": "dup-1"}
    assert api.post("/api/v1/orders", body, format="json").status_code == 201
    answer = api.post("/api/v1/orders", {**body, **change}, format="json")
    assert answer.status_code == 409
    assert list(answer.json()) == ["client_order_id"]


def test_a_client_order_id_is_per_trader(api, other_trader):
    body = {**SEED_ORDER, "client_order_id": "shared"}
    first = place(api, **body)
    second = place(other_trader.client(), **body)
    assert first["order_id"] != second["order_id"]


def test_json_numbers_are_read_exactly_as_written(api):
    raw = '{"instrument": "BTC-USD", "side": "buy", "quantity": 0.3, "limit_price": 9999.99}'
    answer = api.post("/api/v1/orders", raw, content_type="application/json")
    assert answer.status_code == 201, answer.content
    assert (answer.json()["quantity"], answer.json()["limit_price"]) == ("0.3", "9999.99")
    # 0.30000000000000001 is one float with 0.3, but not one decimal: it is off the step.
    raw = raw.replace("0.3", "0.30000000000000001")
    answer = api.post("/api/v1/orders", raw, content_type="application/json")
    assert answer.status_code == 400
    assert list(answer.json()) == ["quantity"]


BAD_FIELDS = [
    ({"instrument": None}, "instrument"),
    ({"instrument": 5}, "instrument"),
    ({"instrument": ""}, "instrument"),
    ({"instrument": "DOGE-USD"}, "instrument"),
    ({"instrument": "X" * 500}, "instrument"),
    ({"instrument": ["BTC-USD"]}, "instrument"),
    ({"side": "hold"}, "side"),
    ({"side": None}, "side"),
    ({"side": 1}, "side"),
    ({"quantity": "abc"}, "quantity"),
    ({"quantity": ""}, "quantity"),
    ({"quantity": "0"}, "quantity"),
    ({"quantity": "-1"}, "quantity"),
    ({"quantity": -1}, "quantity"),
    ({"quantity": "0.00001"}, "quantity"),  # not on the 0.0001 step
    ({"quantity": "1.23456"}, "quantity"),
    ({"quantity": "1e3"}, "quantity"),
    ({"quantity": "NaN"}, "quantity"),
    ({"quantity": "Infinity"}, "quantity"),
    ({"quantity": "99999999999"}, "quantity"),  # over 1e10
    ({"quantity": "9" * 40}, "quantity"),
    ({"quantity": "9" * 41}, "quantity"),
    ({"quantity": 10**30}, "quantity"),
    ({"quantity": " 3"}, "quantity"),
    ({"quantity": "3\n"}, "quantity"),
    ({"quantity": "\u0663"}, "quantity"),  # an Arabic-Indic 3: digits are ASCII
    ({"quantity": True}, "quantity"),
    ({"quantity": None}, "quantity"),
    ({"quantity": {"value": "3"}}, "quantity"),
    ({"quantity": "200"}, "quantity"),  # 200 BTC x 10000 USD: insufficient funds
    ({"limit_price": "abc"}, "limit_price"),
    ({"limit_price": "0"}, "limit_price"),
    ({"limit_price": "-10000"}, "limit_price"),
    ({"limit_price": "10000.001"}, "limit_price"),  # not on the 0.01 tick
    ({"limit_price": "1e20"}, "limit_price"),
    ({"limit_price": "99999999999"}, "limit_price"),
    ({"limit_price": False}, "limit_price"),
    ({"time_in_force": "FOK"}, "time_in_force"),
    ({"time_in_force": 1}, "time_in_force"),
    ({"limit_price": None, "time_in_force": "GTC"}, "time_in_force"),  # a market order is IOC
    ({"venue": "NOWHERE"}, "venue"),
    ({"venue": 7}, "venue"),
    ({"client_order_id": ""}, "client_order_id"),
    ({"client_order_id": "has space"}, "client_order_id"),
    ({"client_order_id": "x" * 65}, "client_order_id"),
    ({"client_order_id": "abc\n"}, "client_order_id"),
    ({"client_order_id": 12}, "client_order_id"),
    ({"limit_prcie": "9000"}, "limit_prcie"),  # a misspelt field is refused, not ignored
]


@pytest.mark.parametrize(("change", "field"), BAD_FIELDS, ids=[repr(c) for c, _ in BAD_FIELDS])
def test_a_bad_field_is_400_naming_it(api, change, field):
    answer = api.post("/api/v1/orders", {**SEED_ORDER, **change}, format="json")
    assert answer.status_code == 400, answer.content
    body = answer.json()
    assert list(body) == [field], body
    assert all(isinstance(m, str) and m for m in body[field])
    assert api.get("/api/v1/orders").json()["results"] == []  # nothing was written


@pytest.mark.parametrize(
    ("change", "field"),
    [({"instrument": None}, "instrument"), ({"side": None}, "side")],
)
def test_a_missing_field_is_400_naming_it(api, change, field):
    body = {k: v for k, v in SEED_ORDER.items() if k not in change}
    answer = api.post("/api/v1/orders", body, format="json")
    assert answer.status_code == 400
    assert field in answer.json()


def test_every_missing_required_field_is_named(api):
    answer = api.post("/api/v1/orders", {}, format="json")
    assert answer.status_code == 400
    assert set(answer.json()) == {"instrument", "side", "quantity"}


def test_insufficient_funds_is_400_on_quantity(store, db):
    poor = make_trader({"USD": Decimal(100), "BTC": Decimal("0.5")}).client()
    for body in [SEED_ORDER, {"instrument": "BTC-USD", "side": "sell", "quantity": "1"}]:
        answer = poor.post("/api/v1/orders", body, format="json")
        assert answer.status_code == 400
        assert list(answer.json()) == ["quantity"]
        assert "not enough" in answer.json()["quantity"][0]


@pytest.mark.parametrize(
    "raw",
    [
        "[]",
        "null",
        '"an order"',
        "42",
        '[{"instrument": "BTC-USD"}]',
    ],
)
def test_a_body_that_is_not_an_object_is_400(api, raw):
    answer = api.post("/api/v1/orders", raw, content_type="application/json")
    assert answer.status_code == 400
    assert set(answer.json()) <= {"non_field_errors", "detail"}


@pytest.mark.parametrize(
    "raw",
    [
        "{",
        "not json",
        '{"quantity": NaN}',
        '{"quantity": Infinity}',
        "[" * 50_000,
        '{"quantity": ' + "9" * 5000 + "}",
        b'{"instrument": "\xff"}',
    ],
    ids=["truncated", "text", "nan", "infinity", "deep", "huge-int", "bad-utf8"],
)
def test_a_body_that_is_not_json_is_400(api, raw):
    answer = api.post("/api/v1/orders", raw, content_type="application/json")
    assert answer.status_code == 400
    assert "detail" in answer.json()


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml"]
)
def test_a_body_that_is_not_declared_json_is_415(api, content_type):
    answer = api.post("/api/v1/orders", "instrument=BTC-USD", content_type=content_type)
    assert answer.status_code == 415
    assert "detail" in answer.json()


@pytest.mark.parametrize(
    "content_type", ["application/json", "application/x-www-form-urlencoded", "text/plain"]
)
def test_a_body_over_64_kb_is_413(api, trader, content_type):
    big = json.dumps({**SEED_ORDER, "padding": "x" * (64 * 1024)})
    answer = api.post("/api/v1/orders", big, content_type=content_type)
    assert answer.status_code == 413
    assert "detail" in answer.json()
    just_under = json.dumps({**SEED_ORDER, "client_order_id": "c" * 64})
    assert api.post("/api/v1/orders", just_under, content_type="application/json").status_code == (
        201
    )


def test_a_resting_order_cancels_at_once_202_then_409(api):
    order = place(api, instrument="BTC-USD", side="buy", quantity="1", limit_price="9000")
    assert order["state"] == "working" and order["attempts"] == []  # nothing inside 9000
    answer = api.post(f"/api/v1/orders/{order['order_id']}/cancel")
    assert answer.status_code == 202
    assert answer.json()["state"] == "canceled"
    assert answer.json()["seq"] == order["seq"] + 1
    again = api.post(f"/api/v1/orders/{order['order_id']}/cancel")
    assert again.status_code == 409
    assert again.json() == answer.json()  # the ended order's snapshot


def test_an_order_at_a_venue_is_cancel_pending(api):
    order = place(api, **SEED_ORDER)
    answer = api.post(f"/api/v1/orders/{order['order_id']}/cancel")
    assert answer.status_code == 202
    assert answer.json()["state"] == "cancel_pending"
    again = api.post(f"/api/v1/orders/{order['order_id']}/cancel")
    assert again.status_code == 202  # asking twice changes nothing
    assert again.json()["seq"] == answer.json()["seq"]


def test_cancel_of_an_order_ended_by_venue_reports_is_409_with_its_snapshot(api, store):
    order = place(api, **SEED_ORDER)
    fill_seed_order(store, order["order_id"])
    answer = api.post(f"/api/v1/orders/{order['order_id']}/cancel")
    assert answer.status_code == 409
    snapshot = answer.json()
    assert snapshot["state"] == "filled"
    assert (snapshot["filled_quantity"], snapshot["remaining_quantity"]) == ("3", "0")
    assert snapshot["average_price"] == "9983" and snapshot["seq"] == 6
    assert snapshot == api.get(f"/api/v1/orders/{order['order_id']}").json()


def test_cancel_takes_no_body_but_a_huge_one_is_still_413(api):
    order = place(api, **SEED_ORDER)
    big = "x" * (65 * 1024)
    answer = api.post(
        f"/api/v1/orders/{order['order_id']}/cancel", big, content_type="application/json"
    )
    assert answer.status_code == 413


def test_methods_the_contract_does_not_name_are_405(api):
    assert api.delete("/api/v1/orders").status_code == 405
    assert api.put("/api/v1/instruments", {}, format="json").status_code == 405
