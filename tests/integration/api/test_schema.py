"""The OpenAPI schema documents every endpoint, and what is generated from it passes every
schemathesis check (`--checks all`): no 5xx, answers in the documented shapes and statuses,
schema-valid requests accepted and schema-violating ones refused.

Two things the schema cannot express, configured here rather than hidden:
- `cursor` is opaque: only a `next` link's cursor is valid (any other is a 400, a forged one
  must be), so schema-valid cases carry no invented cursor; negative cases still do.
- A schema-valid order can be refused by a business rule (an unknown instrument, a quantity
  off the step, too little money): 400 is an expected answer of POST /orders to valid data.
"""

import collections

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.management import call_command
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.config import SchemathesisConfig

from tests.support.api import SEED_ORDER, fill_seed_order, make_trader, place

OPERATIONS = {
    ("/api/v1/instruments", "get"): {"200", "401"},
    ("/api/v1/orders", "get"): {"200", "400", "401"},
    ("/api/v1/orders", "post"): {"200", "201", "400", "401", "409", "413", "415"},
    ("/api/v1/orders/{order_id}", "get"): {"200", "401", "404"},
    ("/api/v1/orders/{order_id}/cancel", "post"): {"202", "401", "404", "409", "413"},
    ("/api/v1/orders/{order_id}/history", "get"): {"200", "401", "404"},
    ("/api/v1/fills", "get"): {"200", "400", "401"},
    ("/api/v1/positions", "get"): {"200", "401"},
    ("/api/v1/balances", "get"): {"200", "401"},
    ("/api/v1/tokens", "get"): {"200", "401"},
    ("/api/v1/tokens", "post"): {"201", "400", "401"},
    ("/api/v1/tokens/{token_id}", "delete"): {"204", "401", "404"},
    ("/api/v1/tokens/{token_id}/rotate", "post"): {"201", "400", "401", "404"},
}
# Bodies are strict (an unknown field is a 400) and business rules refuse valid-looking data
# (funds, the quantity step, an expiry in the past): 400 is an expected answer of these writes.
# The token operations run last and may revoke the fuzzer's own token (401) or name one that
# is gone (404).
EXPECTED_OF_VALID_DATA = {
    "POST /api/v1/orders": ["2xx", "400", "409"],
    "POST /api/v1/tokens": ["2xx", "400", "401"],
    "POST /api/v1/tokens/{token_id}/rotate": ["2xx", "400", "401", "404"],
}
CONFIG = {
    "operations": [
        {
            "include-name": name,  # one filter per entry: several in one would be OR-ed
            "checks": {"positive_data_acceptance": {"expected-statuses": statuses}},
        }
        for name, statuses in EXPECTED_OF_VALID_DATA.items()
    ]
}
FUZZ_SETTINGS = settings(
    max_examples=20,  # per operation and generation mode
    deadline=None,
    database=None,
    derandomize=True,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


def test_the_schema_documents_every_endpoint_its_bodies_and_answers(client, db):
    answer = client.get("/api/schema/", {"format": "json"})
    assert answer.status_code == 200
    schema = answer.json()
    paths = {
        (path, method): operation
        for path, item in schema["paths"].items()
        if path.startswith("/api/v1/")
        for method, operation in item.items()
    }
    assert set(paths) == set(OPERATIONS)
    for key, statuses in OPERATIONS.items():
        assert statuses <= set(paths[key]["responses"]), key
        assert {"tokenAuth": []} in paths[key]["security"]
    body = paths[("/api/v1/orders", "post")]["requestBody"]["content"]["application/json"]
    assert body["schema"]["$ref"] == "#/components/schemas/PlaceOrder"
    place_order = schema["components"]["schemas"]["PlaceOrder"]
    assert set(place_order["properties"]) == {
        "client_order_id",
        "instrument",
        "side",
        "quantity",
        "limit_price",
        "time_in_force",
        "venue",
        "strategy",
    }
    assert set(place_order["required"]) == {"instrument", "side", "quantity"}
    snapshot = schema["components"]["schemas"]["OrderSnapshot"]["properties"]
    assert {"remaining_quantity", "average_price", "seq", "attempts", "strategy"} <= set(snapshot)
    query = {p["name"] for p in paths[("/api/v1/orders", "get")]["parameters"]}
    assert {"state", "instrument", "client_order_id", "created_after", "created_before"} <= query
    assert {"cursor", "limit"} <= query
    query = {p["name"] for p in paths[("/api/v1/fills", "get")]["parameters"]}
    assert {"order_id", "instrument", "cursor", "limit"} <= query
    assert client.get("/api/docs/").status_code == 200


def takes_input(operation):
    return bool(len(operation.query) or len(operation.path_parameters) or len(list(operation.body)))


@pytest.fixture
def fuzzed_trader(store, transactional_db):
    """A trader with an order of each kind, committed: requests go through a plain WSGI handler
    (which closes connections between requests, so the test cannot hold them in a transaction)."""
    trader = make_trader()
    client = trader.client()
    fill_seed_order(store, place(client, **SEED_ORDER, client_order_id="seed")["order_id"])
    place(client, instrument="BTC-USD", side="buy", quantity="1", limit_price="9000")
    return trader


def without_cursor(case):
    """A schema-valid case has no invented cursor (only a `next` link's is valid)."""
    if case.query:
        case.query.pop("cursor", None)
    return case


def test_generated_requests_pass_every_schemathesis_check(fuzzed_trader):
    app = WSGIHandler()
    config = SchemathesisConfig.from_dict(CONFIG)
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", app, config=config)
    headers = {"Authorization": f"Token {fuzzed_trader.token}"}
    operations = [result.ok() for result in schema.get_all_operations()]
    # The token endpoints last: one of them may revoke or rotate the fuzzer's own token.
    operations.sort(key=lambda op: op.path.startswith("/api/v1/tokens"))
    assert {(op.path, op.method.lower()) for op in operations} >= set(OPERATIONS)
    statuses = collections.Counter()
    failures: dict[str, str] = {}

    def check(case):
        response = case.call(headers=headers)
        statuses[(case.operation.label, response.status_code)] += 1
        try:
            case.validate_response(response, headers=headers)  # every check
        except BaseException as failure:  # noqa: BLE001 - schemathesis' FailureGroup
            failures.setdefault(f"{case.operation.label} {response.status_code}", str(failure))

    for operation in operations:
        positive = operation.as_strategy(generation_mode=GenerationMode.POSITIVE)
        strategies = [positive.map(without_cursor)]
        if takes_input(operation):  # there is something to get wrong
            strategies.append(operation.as_strategy(generation_mode=GenerationMode.NEGATIVE))
        strategies.extend(schema.get_strategies_from_examples(operation))
        for strategy in strategies:
            FUZZ_SETTINGS(given(case=strategy)(lambda case: check(case)))()
    assert failures == {}, "\n\n".join(failures.values())[:6000]
    # The schema's example orders were accepted (201, then 200 for the same client_order_id).
    assert statuses[("POST /api/v1/orders", 201)] >= 1
    assert {code for _, code in statuses} <= {200, 201, 202, 204, 400, 401, 404, 409, 413, 415}


def test_the_edge_api_schema_is_valid_openapi_without_warnings(db, tmp_path):
    call_command(
        "spectacular",
        "--urlconf=tests.support.api",
        "--validate",
        "--fail-on-warn",
        f"--file={tmp_path / 'schema.yaml'}",
    )
    assert "/api/v1/orders/{order_id}/cancel:" in (tmp_path / "schema.yaml").read_text()
