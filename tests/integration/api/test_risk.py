"""edge-api: a pre-trade risk refusal is a 400 naming the field and the limit, and is counted."""

import pytest
from prometheus_client import REGISTRY

from infra.metrics_refresh import RefreshedCollector
from infra.store.api import run
from tests.support.api import SEED_ORDER
from trading.domain.risk import Limits
from trading.repository import Repository
from trading.services import risk

pytestmark = pytest.mark.django_db


def test_an_order_over_a_limit_is_a_400_on_its_field_naming_the_limit(api, store):
    answer = api.post("/api/v1/orders", {**SEED_ORDER, "quantity": "50"}, format="json")
    assert answer.status_code == 400
    assert answer.json() == {
        "quantity": ["quantity 50 is over the limit 25 BTC per order (max_order_quantity)"]
    }
    answer = api.post("/api/v1/orders", {**SEED_ORDER, "limit_price": "11000"}, format="json")
    assert answer.status_code == 400
    assert list(answer.json()) == ["limit_price"]
    assert answer.json()["limit_price"][0].endswith("(price_band)")
    counters = run(store, lambda tr: Repository(tr).counters())
    assert counters[("risk_refusals", "max_order_quantity")] == 1
    assert counters[("risk_refusals", "price_band")] == 1


def test_the_seed_order_is_accepted_under_the_default_limits(api):
    answer = api.post("/api/v1/orders", SEED_ORDER, format="json")
    assert answer.status_code == 201


def test_the_order_rate_refusal_is_a_non_field_error(api, store, trader):
    run(store, lambda tr: risk.set_limits(tr, trader.trader_id, "*", Limits(orders_per_second=0)))
    answer = api.post("/api/v1/orders", SEED_ORDER, format="json")
    assert answer.status_code == 400
    assert list(answer.json()) == ["non_field_errors"]
    assert answer.json()["non_field_errors"][0].endswith("(orders_per_second)")


@pytest.fixture
def scrape_readers():
    """The metric readers a scrape starts are stopped after the test (they hold connections)."""
    yield
    for collector in list(REGISTRY._collector_to_names):
        if isinstance(collector, RefreshedCollector):
            collector.stop()


def test_metrics_show_refusals_by_limit(api, client, settings, scrape_readers):
    settings.METRICS_TOKEN = "scrape-token"
    api.post("/api/v1/orders", {**SEED_ORDER, "quantity": "26"}, format="json")
    text = client.get("/metrics", headers={"Authorization": "Bearer scrape-token"}).content.decode()
    assert 'risk_refusals_total{limit="max_order_quantity"} 1.0' in text
