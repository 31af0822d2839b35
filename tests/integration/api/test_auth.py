"""Who may call edge-api: a token or a session; a trader sees only their own data."""

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from rest_framework.test import APIClient

from infra.store.api import run
from kernel.errors import InvalidField
from tests.support.api import SEED_ORDER, fill_seed_order, place
from trading.api.errors import exception_handler
from trading.domain.errors import (
    ClientOrderIdConflict,
    InsufficientFunds,
    TraderHalted,
    UnknownOrder,
)
from trading.services import reference
from trading.services.cancel import OrderNotCancelable

ENDPOINTS = [
    ("get", "/api/v1/instruments"),
    ("get", "/api/v1/orders"),
    ("post", "/api/v1/orders"),
    ("get", "/api/v1/orders/O-anything"),
    ("post", "/api/v1/orders/O-anything/cancel"),
    ("get", "/api/v1/fills"),
    ("get", "/api/v1/positions"),
    ("get", "/api/v1/balances"),
]


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
@pytest.mark.parametrize(
    "authorization",
    [None, "Token 0123456789abcdef0123456789abcdef01234567", "Token", "Bearer x", "Token a\x00b"],
    ids=["missing", "unknown", "empty", "other-scheme", "nul"],
)
def test_no_or_bad_token_is_401_with_a_challenge(store, db, method, path, authorization):
    client = APIClient()
    if authorization is not None:
        client.credentials(HTTP_AUTHORIZATION=authorization)
    answer = getattr(client, method)(path, SEED_ORDER if method == "post" else None, format="json")
    assert answer.status_code == 401, answer.content
    assert answer["WWW-Authenticate"] == "Token"
    assert "detail" in answer.json()


def test_a_session_works_too(trader, store):
    client = APIClient()
    client.force_login(trader.user)
    assert client.get("/api/v1/balances").status_code == 200
    order = place(client, **SEED_ORDER)
    assert client.get(f"/api/v1/orders/{order['order_id']}").status_code == 200


def test_a_signed_in_user_who_is_not_a_trader_is_403(store, db):
    client = APIClient()
    client.force_login(User.objects.create_user("staff-only"))
    assert client.get("/api/v1/instruments").status_code == 200  # reference data
    answer = client.get("/api/v1/orders")
    assert answer.status_code == 403
    assert "detail" in answer.json()


def test_someone_elses_order_is_404_and_never_listed(api, other_trader, store):
    mine = place(api, **SEED_ORDER)
    fill_seed_order(store, mine["order_id"])
    theirs = other_trader.client()
    for answer in [
        theirs.get(f"/api/v1/orders/{mine['order_id']}"),
        theirs.post(f"/api/v1/orders/{mine['order_id']}/cancel"),
    ]:
        assert answer.status_code == 404
        assert "detail" in answer.json()
    assert theirs.get("/api/v1/orders").json()["results"] == []
    assert theirs.get("/api/v1/fills").json()["results"] == []
    assert theirs.get("/api/v1/fills", {"order_id": mine["order_id"]}).json()["results"] == []
    assert theirs.get("/api/v1/positions").json()["results"] == []
    usd = {b["asset"]: b for b in theirs.get("/api/v1/balances").json()["results"]}["USD"]
    assert usd["total"] == "1000000"


def test_unknown_order_is_404(api):
    for path in ["/api/v1/orders/O-nope", "/api/v1/orders/" + "x" * 500]:
        answer = api.get(path)
        assert answer.status_code == 404
        assert "detail" in answer.json()
    assert api.post("/api/v1/orders/O-nope/cancel").status_code == 404


def test_a_cursor_is_bound_to_its_trader(api, other_trader):
    for _ in range(3):
        place(api, **SEED_ORDER)
    next_url = api.get("/api/v1/orders", {"limit": 1}).json()["next"]
    assert next_url
    answer = other_trader.client().get(next_url)
    assert answer.status_code == 400
    assert "cursor" in answer.json()


def test_a_halted_trader_is_refused_400(api, trader, store):
    run(store, lambda tr: reference.set_trader_halted(tr, trader.trader_id, True))
    answer = api.post("/api/v1/orders", SEED_ORDER, format="json")
    assert answer.status_code == 400
    assert list(answer.json()) == ["non_field_errors"]


def test_requests_are_throttled_per_user(api, other_trader, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"edge-api": "3/min"},
    }
    assert [api.get("/api/v1/balances").status_code for _ in range(3)] == [200] * 3
    throttled = api.get("/api/v1/orders")
    assert throttled.status_code == 429
    assert int(throttled["Retry-After"]) > 0
    assert other_trader.client().get("/api/v1/balances").status_code == 200


@pytest.mark.parametrize(
    ("error", "status", "body"),
    [
        (InvalidField("bad", field="side"), 400, {"side": ["bad"]}),
        (InsufficientFunds("not enough USD"), 400, {"quantity": ["not enough USD"]}),
        (TraderHalted("halted"), 400, {"non_field_errors": ["halted"]}),
        (UnknownOrder("no order O1"), 404, {"detail": "no order O1"}),
        (ClientOrderIdConflict("used"), 409, {"client_order_id": ["used"]}),
        (OrderNotCancelable("ended"), 409, {"non_field_errors": ["ended"]}),
        (RequestDataTooBig("big"), 413, {"detail": "Request body is larger than 65536 bytes."}),
        (SuspiciousOperation("odd"), 400, {"detail": "odd"}),
    ],
)
def test_every_typed_refusal_has_its_status_and_shape(error, status, body):
    answer = exception_handler(error, {})
    assert (answer.status_code, answer.data) == (status, body)


def test_an_unknown_api_path_answers_json_404(client):
    answer = client.get("/api/v1/orders/")  # the contract has no trailing slashes
    assert answer.status_code == 404
    assert answer.json() == {"detail": "Not found."}
