"""/metrics carries the trading figures next to django-prometheus's own."""

import pytest
from prometheus_client import REGISTRY

from infra.metrics_refresh import RefreshedCollector
from infra.store.api import run
from tests.support.reports import NOW, report
from tests.support.store import TRADER
from trading.services.execution import apply_execution_report
from trading.services.place import PlaceOrder, place_order


@pytest.fixture
def db(seeded_db):
    """The seeded store; the metric readers started on it are stopped after the test."""
    yield seeded_db
    for collector in list(REGISTRY._collector_to_names):  # their readers hold DB connections
        if isinstance(collector, RefreshedCollector):
            collector.stop()


@pytest.mark.django_db
def test_metrics_show_orders_by_state_fills_and_the_outbox_backlog(db, client, settings):
    settings.METRICS_TOKEN = "scrape-token"
    command = PlaceOrder(TRADER, "O-m", "BTC-USD", "buy", "3.0", "10000")
    run(db, lambda tr: place_order(tr, command, NOW))
    fill = report("O-m", "EA-1", "SIM-A", "trade", cum="1.2", qty="1.2", price="9980")
    run(db, lambda tr: apply_execution_report(tr, fill, NOW))
    text = client.get("/metrics", headers={"Authorization": "Bearer scrape-token"}).content.decode()
    assert 'trading_orders{state="partially_filled"} 1.0' in text
    assert 'trading_fills_total{venue="SIM-A"} 1.0' in text
    assert "trading_outbox_backlog " in text
    assert "trading_publisher_lag_seconds " in text
    assert "django_http_requests_total_by_method_total" in text
